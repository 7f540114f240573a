/*
 * kavro tests - running the built programs (see proc_util.h).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_util.h"
#include "testutil.h"

extern char **environ;

/* A file name under @workdir unique to this process. */
static void capture_path(char *buf, size_t size, const char *workdir,
                         const char *what) {
  static unsigned counter;
  snprintf(buf, size, "%s/%s-%ld-%u", workdir, what, (long)getpid(),
           counter++);
}

static char *slurp(const char *path, size_t *length) {
  char *text = kt_read_file(path, length);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  unlink(path);
  return text;
}

static int exit_status(pid_t pid) {
  int wstatus;
  pid_t got;
  while ((got = waitpid(pid, &wstatus, 0)) < 0 && errno == EINTR)
    ;
  ck_assert_int_eq(got, pid);
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

/* The program a path names, without libtool's wrapper when there is one.
 * In a build tree with shared libraries, src/programs/kavro/kavro is a
 * shell script that sets LD_LIBRARY_PATH and runs .libs/kavro: starting
 * bash for every run triples what a run costs, and the suites run the
 * programs hundreds of times.  So the program in .libs is run directly,
 * with the build's library directory (KT_BUILD_LIBDIR) first on
 * LD_LIBRARY_PATH, as the wrapper would have done. */
static const char *direct_program(const char *path, char *buf, size_t size) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return path;
  snprintf(buf, size, "%.*s/.libs/%s", (int)(slash - path), path, slash + 1);
  if (access(buf, X_OK) != 0)
    return path;
  static bool library_path_set;
  if (!library_path_set) {
    const char *old = getenv("LD_LIBRARY_PATH");
    char value[4200];
    snprintf(value, sizeof(value), "%s%s%s", KT_BUILD_LIBDIR,
             old && *old ? ":" : "", old ? old : "");
    ck_assert_int_eq(setenv("LD_LIBRARY_PATH", value, 1), 0);
    library_path_set = true;
  }
  return buf;
}

/* posix_spawn() of @argv with @fa, argv[0] without libtool's wrapper. */
static int spawn(pid_t *pid, const posix_spawn_file_actions_t *fa,
                 const char *const *argv) {
  char direct[4200];
  const char *program = direct_program(argv[0], direct, sizeof(direct));
  return posix_spawn(pid, program, fa, NULL, (char *const *)argv, environ);
}

kt_run_t kt_run(const char *workdir, const char *stdin_path,
                const char *const *argv) {
  return kt_run_to(workdir, stdin_path, NULL, argv);
}

kt_run_t kt_run_to(const char *workdir, const char *stdin_path,
                   const char *stdout_path, const char *const *argv) {
  char out_path[4200], err_path[4200];
  capture_path(out_path, sizeof(out_path), workdir, "stdout");
  capture_path(err_path, sizeof(err_path), workdir, "stderr");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, stdout_path ? stdout_path : out_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = spawn(&pid, &fa, argv);
  posix_spawn_file_actions_destroy(&fa);
  ck_assert_msg(rc == 0, "cannot run %s: %s", argv[0], strerror(rc));
  kt_run_t run = {.status = exit_status(pid)};
  if (stdout_path) {
    run.out = strdup("");
    ck_assert_ptr_nonnull(run.out);
  } else {
    run.out = slurp(out_path, &run.out_length);
  }
  run.err = slurp(err_path, &run.err_length);
  return run;
}

enum { MAX_WORDS = 63 };

/* Append the NULL-terminated @words to @argv, which holds @n of them. */
static size_t append_words(const char **argv, size_t n,
                           const char *const *words) {
  for (; *words; words++) {
    ck_assert_uint_lt(n, MAX_WORDS);
    argv[n++] = *words;
  }
  return n;
}

kt_run_t kt_run_args(const char *workdir, const char *stdout_path,
                     const char *const *lead, const char *const *args) {
  const char *argv[MAX_WORDS + 1];
  size_t n = append_words(argv, append_words(argv, 0, lead), args);
  argv[n] = NULL;
  return kt_run_to(workdir, NULL, stdout_path, argv);
}

void kt_run_free(kt_run_t *run) {
  free(run->out);
  free(run->err);
  run->out = run->err = NULL;
}

char *kt_work_path(const char *workdir, const char *name) {
  static char path[8][4096];
  static unsigned next;
  char *p = path[next++ % 8];
  snprintf(p, sizeof(path[0]), "%s/%s", workdir, name);
  return p;
}

void kt_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* Read one line from @fd into @buf, byte by byte so that nothing after
 * it is consumed; false at the end of the stream. */
static bool read_line(int fd, char *buf, size_t size) {
  size_t n = 0;
  char c;
  ssize_t got;
  while ((got = read(fd, &c, 1)) == 1 || (got < 0 && errno == EINTR)) {
    if (got < 0)
      continue;
    if (c == '\n')
      break;
    if (n + 1 < size)
      buf[n++] = c;
  }
  buf[n] = '\0';
  return got == 1;
}

bool kt_server_start(kt_server_t *server, const char *workdir,
                     const char *const *argv) {
  return kt_server_start_prefix(server, workdir, argv, "listening on ");
}

bool kt_server_start_prefix(kt_server_t *server, const char *workdir,
                            const char *const *argv, const char *prefix) {
  memset(server, 0, sizeof(*server));
  capture_path(server->err_path, sizeof(server->err_path), workdir, "server");
  int pipe_fds[2];
  ck_assert_int_eq(pipe(pipe_fds), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&fa, pipe_fds[1]);
  posix_spawn_file_actions_addopen(&fa, 2, server->err_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int rc = spawn(&server->pid, &fa, argv);
  posix_spawn_file_actions_destroy(&fa);
  close(pipe_fds[1]);
  ck_assert_msg(rc == 0, "cannot run %s: %s", argv[0], strerror(rc));
  server->out_fd = pipe_fds[0];
  char line[sizeof(server->url) + 64];
  if (read_line(server->out_fd, line, sizeof(line)) &&
      strncmp(line, prefix, strlen(prefix)) == 0) {
    snprintf(server->url, sizeof(server->url), "%s", line + strlen(prefix));
    return true;
  }
  close(server->out_fd);
  exit_status(server->pid);
  return false;
}

kt_run_t kt_server_stop(kt_server_t *server) {
  kill(server->pid, SIGTERM);
  kt_run_t run = {.status = exit_status(server->pid)};
  /* The child is gone, so the pipe ends after what it left in it. */
  size_t capacity = 4096;
  run.out = malloc(capacity);
  ck_assert_ptr_nonnull(run.out);
  ssize_t got;
  while ((got = read(server->out_fd, run.out + run.out_length,
                     capacity - run.out_length - 1)) > 0) {
    run.out_length += (size_t)got;
    if (capacity - run.out_length == 1) {
      capacity *= 2;
      run.out = realloc(run.out, capacity);
      ck_assert_ptr_nonnull(run.out);
    }
  }
  run.out[run.out_length] = '\0';
  close(server->out_fd);
  run.err = slurp(server->err_path, &run.err_length);
  return run;
}
