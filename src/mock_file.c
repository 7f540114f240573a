/*
 * kavro - replacing the mock registry's file so that a crash at any moment
 * leaves either the old content or the new one, and never a registration
 * answered 200 that is not on disk.
 *
 * The new content goes to a temporary file in the same directory (so that
 * rename() stays within one file system and is atomic), is fsync()ed, is
 * renamed over the old file, and then the directory is fsync()ed so that
 * the rename itself survives a power cut.  Without the first fsync() a
 * crash after the rename can leave an empty file under the old name; without
 * the second the rename can be forgotten.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common_error_int.h"
#include "mock_int.h"

/* Temporary names of this process: path.tmp-PID-N, one N per write, so
 * that two writes of the same path never share a temporary file. */
static atomic_uint temp_serial;

static kavro_err_t io_error(kavro_error_t *error, const char *what,
                            const char *path) {
  return kv_error_set(error, KAVRO_ERR_IO, "cannot %s %s: %s", what, path,
                      strerror(errno));
}

static bool write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    length -= (size_t)n;
  }
  return true;
}

/* Write @data to the new file @temp and flush it to the disk. */
static kavro_err_t write_temp(const char *temp, const char *data, size_t length,
                              kavro_error_t *error) {
  int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return io_error(error, "create", temp);
  kavro_err_t err = KAVRO_OK;
  if (!write_all(fd, data, length))
    err = io_error(error, "write", temp);
  else if (fsync(fd) != 0)
    err = io_error(error, "flush", temp);
  if (close(fd) != 0 && err == KAVRO_OK)
    err = io_error(error, "close", temp);
  return err;
}

/* fsync() the directory holding @path, which makes a rename in it last. */
static kavro_err_t sync_directory(const char *path, kavro_error_t *error) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                    : strdup(".");
  if (!dir)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = KAVRO_OK;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0)
    err = io_error(error, "flush the directory", dir);
  if (fd >= 0)
    close(fd);
  free(dir);
  return err;
}

kavro_err_t kv_file_replace(const char *path, const char *data, size_t length,
                            kavro_error_t *error) {
  size_t size = strlen(path) + 48;
  char *temp = malloc(size);
  if (!temp)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  snprintf(temp, size, "%s.tmp-%ld-%u", path, (long)getpid(),
           atomic_fetch_add(&temp_serial, 1u));
  kavro_err_t err = write_temp(temp, data, length, error);
  if (err == KAVRO_OK && rename(temp, path) != 0)
    err = io_error(error, "replace", path);
  if (err != KAVRO_OK)
    unlink(temp);
  else
    err = sync_directory(path, error);
  free(temp);
  return err;
}
