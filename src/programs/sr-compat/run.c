/*
 * sr-compat - run a program without a shell (see run.h).
 *
 * posix_spawnp with an argument vector: file names and git refs from the
 * command line reach git as single arguments, never through a shell that
 * would split or expand them.  Both output pipes are drained together with
 * poll() so a child that writes a lot to one of them cannot stall on a full
 * pipe while we wait on the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "util.h"

extern char **environ;

/* Standard error is for messages: the first few KiB say what went wrong. */
#define ERR_KEEP 4096

typedef struct capture_s {
  int fd;
  char *data;
  size_t length, capacity, max;
  bool overflow;
} capture_t;

static void capture_init(capture_t *c, int fd, size_t max) {
  c->fd = fd;
  c->max = max;
  c->length = 0;
  c->capacity = 4096;
  c->data = sc_xmalloc(c->capacity);
  c->data[0] = '\0';
  c->overflow = false;
}

/* Read what is available on @c; false once it reached end of file. */
static bool capture_read(capture_t *c) {
  char chunk[16384];
  ssize_t n = read(c->fd, chunk, sizeof(chunk));
  if (n < 0)
    return errno == EINTR || errno == EAGAIN;
  if (n == 0)
    return false;
  size_t take = (size_t)n;
  if (c->length + take > c->max) {
    c->overflow = true;
    take = c->max - c->length;
  }
  if (c->length + take + 1 > c->capacity) {
    while (c->length + take + 1 > c->capacity)
      c->capacity *= 2;
    c->data = sc_xrealloc(c->data, c->capacity);
  }
  memcpy(c->data + c->length, chunk, take);
  c->length += take;
  c->data[c->length] = '\0';
  return true;
}

static bool make_pipe(int fds[2]) {
  if (pipe(fds) != 0)
    return false;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

static int spawn(const char *const *argv, int out_fd, int err_fd, pid_t *pid) {
  posix_spawn_file_actions_t actions;
  int rc = posix_spawn_file_actions_init(&actions);
  if (rc != 0)
    return rc;
  rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  if (rc == 0)
    rc = posix_spawnp(pid, argv[0], &actions, NULL, (char *const *)argv,
                      environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

/* Drain both pipes until the child closes them or floods standard output. */
static void drain(capture_t *out, capture_t *err) {
  bool out_open = true, err_open = true;
  while ((out_open || err_open) && !out->overflow) {
    struct pollfd fds[2] = {{out_open ? out->fd : -1, POLLIN, 0},
                            {err_open ? err->fd : -1, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (out_open && fds[0].revents)
      out_open = capture_read(out);
    if (err_open && fds[1].revents) {
      err_open = capture_read(err);
      err->overflow = false; /* the tail of a long message is just dropped */
    }
  }
}

static int wait_for(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 127;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

kavro_err_t sc_run(const char *const *argv, size_t max_out, const char *source,
                   sc_run_result_t *result, kavro_error_t *error) {
  memset(result, 0, sizeof(*result));
  int out_pipe[2], err_pipe[2];
  if (!make_pipe(out_pipe))
    return sc_fail(error, KAVRO_ERR_IO, source, "cannot run %s: %s", argv[0],
                   strerror(errno));
  if (!make_pipe(err_pipe)) {
    int saved = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    return sc_fail(error, KAVRO_ERR_IO, source, "cannot run %s: %s", argv[0],
                   strerror(saved));
  }
  pid_t pid;
  int rc = spawn(argv, out_pipe[1], err_pipe[1], &pid);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return sc_fail(error, KAVRO_ERR_IO, source, "cannot run %s: %s", argv[0],
                   strerror(rc));
  }
  capture_t out, err;
  capture_init(&out, out_pipe[0], max_out);
  capture_init(&err, err_pipe[0], ERR_KEEP);
  drain(&out, &err);
  if (out.overflow)
    kill(pid, SIGKILL);
  close(out_pipe[0]);
  close(err_pipe[0]);
  result->status = wait_for(pid);
  result->out = out.data;
  result->out_length = out.length;
  result->err = err.data;
  if (out.overflow) {
    sc_run_result_free(result);
    return sc_fail(error, KAVRO_ERR_LIMIT, source,
                   "%s printed more than %zu bytes", argv[0], max_out);
  }
  return KAVRO_OK;
}

void sc_run_result_free(sc_run_result_t *result) {
  free(result->out);
  free(result->err);
  result->out = result->err = NULL;
}
