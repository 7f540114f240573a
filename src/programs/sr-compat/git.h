/*
 * sr-compat - the few questions sr-compat asks git, each one git process
 * run without a shell.
 */
#ifndef SR_COMPAT_GIT_H
#define SR_COMPAT_GIT_H

#include <stdbool.h>
#include <stddef.h>

#include <kavro.h>

/* The top of the git work tree that contains @dir, canonical, in a new
 * string; NULL when @dir is not in a work tree or git cannot be run, with
 * @error (may be NULL) saying which. */
char *sc_git_toplevel(const char *dir, kavro_error_t *error);

/* KAVRO_OK when @ref names a commit in the repository at @top; otherwise
 * an error that names the ref. */
kavro_err_t sc_git_verify_ref(const char *top, const char *ref,
                              kavro_error_t *error);

/*
 * The content of @path (relative to @top) at commit @ref, at most
 * SC_MAX_FILE_SIZE bytes, in a new NUL-terminated buffer.  When the path
 * did not exist at @ref, returns KAVRO_OK with *@textp NULL.  @source names
 * the file in error messages.
 */
kavro_err_t sc_git_file_at(const char *top, const char *ref, const char *path,
                           const char *source, char **textp, size_t *lengthp,
                           kavro_error_t *error);

/*
 * Clone @url shallowly (`git clone --depth 1`, of @branch when not NULL:
 * a branch or a tag) into the new directory @dest.  Git never prompts for
 * credentials.  Errors name @source (the option's argument as shown).
 */
kavro_err_t sc_git_clone(const char *url, const char *branch, const char *dest,
                         const char *source, kavro_error_t *error);

#endif /* SR_COMPAT_GIT_H */
