/*
 * sr-compat - git plumbing (see git.h).
 *
 * Only plumbing commands (rev-parse, cat-file), whose output does not
 * change with the user's configuration, and always `git -C TOP` so that
 * the current directory of sr-compat does not matter; and `git clone` for
 * a remote baseline.
 */
#include <stdlib.h>
#include <string.h>

#include "git.h"
#include "run.h"
#include "util.h"

/* Bound on the output of the small queries (a path, an object type). */
#define SMALL_OUTPUT 65536

static void trim_newline(char *s, size_t *length) {
  size_t n = length ? *length : strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  if (length)
    *length = n;
}

char *sc_git_toplevel(const char *dir, kavro_error_t *error) {
  const char *argv[] = {"git", "-C", dir, "rev-parse", "--show-toplevel", NULL};
  sc_run_result_t run;
  if (sc_run(argv, SMALL_OUTPUT, dir, &run, error) != KAVRO_OK)
    return NULL;
  char *top = NULL;
  if (run.status == 0) {
    trim_newline(run.out, &run.out_length);
    if (run.out_length)
      top = sc_realpath(run.out, NULL);
  }
  if (!top)
    sc_fail(error, KAVRO_ERR_IO, dir, "not inside a git work tree");
  sc_run_result_free(&run);
  return top;
}

/* The first line of what git said on standard error, for a message. */
static const char *first_line(char *err) {
  trim_newline(err, NULL);
  char *nl = strchr(err, '\n');
  if (nl)
    *nl = '\0';
  return *err ? err : "no message";
}

kavro_err_t sc_git_verify_ref(const char *top, const char *ref,
                              kavro_error_t *error) {
  /* A ref that starts with '-' would read as an option to git. */
  if (!*ref || ref[0] == '-')
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, top,
                   "\"%s\" is not a git ref", ref);
  char *spec = sc_xasprintf("%s^{commit}", ref);
  const char *argv[] = {"git", "-C", top, "rev-parse", "--verify", "--quiet",
                        spec, NULL};
  sc_run_result_t run;
  kavro_err_t err = sc_run(argv, SMALL_OUTPUT, top, &run, error);
  free(spec);
  if (err != KAVRO_OK)
    return err;
  if (run.status != 0)
    err = sc_fail(error, KAVRO_ERR_NOT_FOUND, top,
                  "git ref \"%s\" does not name a commit in this repository",
                  ref);
  sc_run_result_free(&run);
  return err;
}

/* The object type of @spec ("blob", "tree"), or NULL when it does not
 * exist. */
static kavro_err_t object_type(const char *top, const char *spec,
                               const char *source, char **typep,
                               kavro_error_t *error) {
  const char *argv[] = {"git", "-C", top, "cat-file", "-t", spec, NULL};
  sc_run_result_t run;
  *typep = NULL;
  kavro_err_t err = sc_run(argv, SMALL_OUTPUT, source, &run, error);
  if (err != KAVRO_OK)
    return err;
  if (run.status == 0) {
    trim_newline(run.out, &run.out_length);
    *typep = run.out;
    run.out = NULL;
  }
  sc_run_result_free(&run);
  return KAVRO_OK;
}

kavro_err_t sc_git_file_at(const char *top, const char *ref, const char *path,
                           const char *source, char **textp, size_t *lengthp,
                           kavro_error_t *error) {
  *textp = NULL;
  char *spec = sc_xasprintf("%s:%s", ref, path);
  char *type = NULL;
  kavro_err_t err = object_type(top, spec, source, &type, error);
  if (err == KAVRO_OK && type && strcmp(type, "blob") != 0)
    err = sc_fail(error, KAVRO_ERR_IO, source, "is a %s at git ref \"%s\"",
                  type, ref);
  if (err == KAVRO_OK && type) {
    const char *argv[] = {"git", "-C", top, "cat-file", "blob", spec, NULL};
    sc_run_result_t run;
    err = sc_run(argv, SC_MAX_FILE_SIZE, source, &run, error);
    if (err == KAVRO_OK && run.status != 0)
      err = sc_fail(error, KAVRO_ERR_IO, source,
                    "git cat-file failed at ref \"%s\": %s", ref,
                    first_line(run.err));
    if (err == KAVRO_OK) {
      *textp = run.out;
      if (lengthp)
        *lengthp = run.out_length;
      run.out = NULL;
    }
    sc_run_result_free(&run);
  }
  free(type);
  free(spec);
  return err;
}

kavro_err_t sc_git_clone(const char *url, const char *branch, const char *dest,
                         const char *source, kavro_error_t *error) {
  /* An URL or branch that starts with '-' would read as an option. */
  if (!*url || url[0] == '-' || (branch && (!*branch || branch[0] == '-')))
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, source,
                   "not a git URL and branch");
  /* A pipeline has no one to type a password: fail instead of waiting. */
  setenv("GIT_TERMINAL_PROMPT", "0", 1);
  const char *argv[] = {"git", "clone", "--quiet", "--depth", "1",
                        "--no-tags", branch ? "--branch" : "--",
                        branch ? branch : url, branch ? "--" : dest,
                        branch ? url : NULL, branch ? dest : NULL, NULL};
  sc_run_result_t run;
  kavro_err_t err = sc_run(argv, SMALL_OUTPUT, source, &run, error);
  if (err != KAVRO_OK)
    return err;
  if (run.status != 0)
    err = sc_fail(error, KAVRO_ERR_IO, source, "git clone failed: %s",
                  first_line(run.err));
  sc_run_result_free(&run);
  return err;
}
