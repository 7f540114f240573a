/*
 * sr-compat - run another program (git) without a shell and capture what
 * it prints.
 */
#ifndef SR_COMPAT_RUN_H
#define SR_COMPAT_RUN_H

#include <stddef.h>

#include <kavro.h>

typedef struct sc_run_result_s {
  char *out;          /* standard output, NUL-terminated */
  size_t out_length;
  char *err;          /* the start of standard error, NUL-terminated */
  int status;         /* exit status; 128 + signal number when killed */
} sc_run_result_t;

/*
 * Run @argv[0] (looked up in PATH) with the arguments @argv (NULL-
 * terminated), no shell involved, standard input from /dev/null.  Captures
 * at most @max_out bytes of standard output: more is a KAVRO_ERR_LIMIT
 * error and the child is killed.  Standard error is kept up to a few KiB
 * for messages.  Returns KAVRO_OK when the program ran (whatever its exit
 * status), KAVRO_ERR_IO when it could not be started.  @source names the
 * file the run is for, in error messages.  Free @result with
 * sc_run_result_free().
 */
kavro_err_t sc_run(const char *const *argv, size_t max_out, const char *source,
                   sc_run_result_t *result, kavro_error_t *error);

void sc_run_result_free(sc_run_result_t *result);

#endif /* SR_COMPAT_RUN_H */
