/*
 * kavro tests - running the built programs: one run to completion with
 * its output captured, or `kavro mock-registry` in the background.
 */
#ifndef KAVRO_PROC_UTIL_H
#define KAVRO_PROC_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

/* What a finished run left: exit status (-1 when killed by a signal) and
 * everything it wrote (malloc'd, NUL-terminated). */
typedef struct kt_run_s {
  int status;
  char *out;
  size_t out_length;
  char *err;
  size_t err_length;
} kt_run_t;

/* Run @argv (NULL-terminated, argv[0] a path) with standard input from
 * @stdin_path (NULL: /dev/null), capturing standard output and error in
 * files under @workdir.  Aborts the test when it cannot be run. */
kt_run_t kt_run(const char *workdir, const char *stdin_path,
                const char *const *argv);

/* As kt_run, but standard output goes to @stdout_path (created or
 * truncated) when that is not NULL; the run's out is then empty. */
kt_run_t kt_run_to(const char *workdir, const char *stdin_path,
                   const char *stdout_path, const char *const *argv);

/* As kt_run_to with standard input from /dev/null, the command line being
 * @lead (the program's path and its first arguments) followed by @args;
 * both are NULL-terminated, at most 63 words in all. */
kt_run_t kt_run_args(const char *workdir, const char *stdout_path,
                     const char *const *lead, const char *const *args);
void kt_run_free(kt_run_t *run);

/* @workdir/@name in one of 8 rotating static buffers: valid until 8 more
 * calls. */
char *kt_work_path(const char *workdir, const char *name);

/* Write @text to the file @path, failing the test when it cannot. */
void kt_write_file(const char *path, const char *text);

/* `kavro mock-registry` (or `kavro mock-cluster`) running in the
 * background. */
typedef struct kt_server_s {
  pid_t pid;
  int out_fd;     /* read end of its standard output */
  char url[512];  /* from its first line, "listening on URL" (or what
                     follows the prefix kt_server_start_prefix() got) */
  char err_path[4200];
} kt_server_t;

/* Start @argv (the program and its arguments) and wait for its first line
 * of output; false (and the child reaped) when it exits before printing
 * "listening on URL". */
bool kt_server_start(kt_server_t *server, const char *workdir,
                     const char *const *argv);

/* As kt_server_start(), for a server whose first line is @prefix and
 * then what goes to server->url: "bootstrap " for `kavro mock-cluster`. */
bool kt_server_start_prefix(kt_server_t *server, const char *workdir,
                            const char *const *argv, const char *prefix);

/* SIGTERM, wait, and return what it wrote after the first line (@run's
 * out) and to standard error (@run's err), and its exit status. */
kt_run_t kt_server_stop(kt_server_t *server);

#endif /* KAVRO_PROC_UTIL_H */
