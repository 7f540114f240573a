/*
 * sr-compat - previous versions from an archive (--against-archive
 * FILE[#strip_components=N]): a .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz,
 * .tar.zst or .zip of the repository as it was, such as a release
 * artifact or a GitHub/GitLab source download (whose single top directory
 * #strip_components=1 drops, as buf's archive inputs do).
 *
 * libarchive reads the archive in place: nothing is extracted, so a name
 * like "../../etc/passwd" is just a name that matches no schema file, and
 * an entry is read only when a schema file asks for it, at most
 * SC_MAX_FILE_SIZE bytes of it.  A file missing from the archive is new.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "git.h"
#include "source.h"
#include "util.h"

/* Bound on the components an archive name may lose. */
#define MAX_STRIP 64

typedef struct archive_source_s {
  sc_source_t base;
  char *file;   /* the archive, as given */
  char *top;    /* canonical: targets' paths are relative to it */
  int strip;    /* leading name components to drop */
} archive_source_t;

static struct archive *open_archive(const archive_source_t *s,
                                    kavro_error_t *error) {
  struct archive *a = archive_read_new();
  if (!a)
    sc_out_of_memory();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_format_zip(a);
  if (archive_read_open_filename(a, s->file, 65536) != ARCHIVE_OK) {
    sc_fail(error, KAVRO_ERR_IO, s->file, "cannot read the archive: %s",
            archive_error_string(a));
    archive_read_free(a);
    return NULL;
  }
  return a;
}

/* @name without "./" prefixes and its first @strip components; NULL when
 * it has no more than that. */
static const char *stripped(const char *name, int strip) {
  while (strncmp(name, "./", 2) == 0)
    name += 2;
  for (int i = 0; i < strip; i++) {
    const char *slash = strchr(name, '/');
    if (!slash)
      return NULL;
    name = slash + 1;
    while (*name == '/')
      name++;
  }
  return *name ? name : NULL;
}

/* Read the current entry's data, at most SC_MAX_FILE_SIZE bytes. */
static kavro_err_t read_entry(struct archive *a, const archive_source_t *s,
                              const char *name, char **textp, size_t *lengthp,
                              kavro_error_t *error) {
  size_t capacity = 65536, length = 0;
  char *text = sc_xmalloc(capacity + 1);
  for (;;) {
    if (length == capacity) {
      if (capacity > SC_MAX_FILE_SIZE) {
        free(text);
        return sc_fail(error, KAVRO_ERR_LIMIT, s->file,
                       "%s in the archive is larger than %zu bytes", name,
                       SC_MAX_FILE_SIZE);
      }
      capacity *= 2;
      text = sc_xrealloc(text, capacity + 1);
    }
    la_ssize_t n = archive_read_data(a, text + length, capacity - length);
    if (n < 0) {
      free(text);
      return sc_fail(error, KAVRO_ERR_IO, s->file, "cannot read %s: %s", name,
                     archive_error_string(a));
    }
    if (n == 0)
      break;
    length += (size_t)n;
  }
  if (length > SC_MAX_FILE_SIZE) {
    free(text);
    return sc_fail(error, KAVRO_ERR_LIMIT, s->file,
                   "%s in the archive is larger than %zu bytes", name,
                   SC_MAX_FILE_SIZE);
  }
  text[length] = '\0';
  *textp = text;
  *lengthp = length;
  return KAVRO_OK;
}

/* The text of @wanted in the archive; *@textp NULL when it has none. */
static kavro_err_t find_entry(const archive_source_t *s, const char *wanted,
                              char **textp, size_t *lengthp,
                              kavro_error_t *error) {
  *textp = NULL;
  struct archive *a = open_archive(s, error);
  if (!a)
    return KAVRO_ERR_IO;
  struct archive_entry *entry;
  kavro_err_t err = KAVRO_OK;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK ||
         rc == ARCHIVE_WARN) {
    const char *name = stripped(archive_entry_pathname(entry), s->strip);
    if (!name || strcmp(name, wanted) != 0 ||
        archive_entry_filetype(entry) != AE_IFREG)
      continue;
    err = read_entry(a, s, wanted, textp, lengthp, error);
    break;
  }
  if (err == KAVRO_OK && !*textp && rc != ARCHIVE_EOF)
    err = sc_fail(error, KAVRO_ERR_IO, s->file, "cannot read the archive: %s",
                  archive_error_string(a));
  archive_read_free(a);
  return err;
}

static kavro_err_t archive_previous(sc_source_t *self,
                                    const sc_target_t *target,
                                    sc_versions_t *out, kavro_error_t *error) {
  archive_source_t *s = (archive_source_t *)self;
  char *relative = sc_path_relative(s->top, target->real);
  if (!relative)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, target->path,
                   "is outside %s, which the archive stands for", s->top);
  char *text;
  size_t length = 0;
  kavro_err_t err = find_entry(s, relative, &text, &length, error);
  if (err == KAVRO_OK && text)
    sc_versions_add(out, text, length,
                    sc_xasprintf("%s:%s", s->file, relative));
  free(relative);
  return err;
}

static void archive_destroy(sc_source_t *self) {
  archive_source_t *s = (archive_source_t *)self;
  free(s->file);
  free(s->top);
  free(s);
}

/* "FILE#strip_components=N" into the file and N. */
static kavro_err_t parse_spec(const char *spec, archive_source_t *s,
                              kavro_error_t *error) {
  const char *hash = strrchr(spec, '#');
  static const char option[] = "strip_components=";
  if (!hash || strncmp(hash + 1, option, sizeof(option) - 1) != 0) {
    s->file = sc_xstrdup(spec);
    return KAVRO_OK;
  }
  const char *digits = hash + sizeof(option);
  char *end;
  errno = 0;
  long n = strtol(digits, &end, 10);
  if (!*digits || *end || errno || n < 0 || n > MAX_STRIP)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, spec,
                   "strip_components takes a number from 0 to %d", MAX_STRIP);
  s->file = sc_xasprintf("%.*s", (int)(hash - spec), spec);
  s->strip = (int)n;
  return KAVRO_OK;
}

kavro_err_t sc_source_archive_new(const char *cwd, const char *spec,
                                  sc_source_t **sourcep, kavro_error_t *error) {
  *sourcep = NULL;
  archive_source_t *s = sc_xcalloc(1, sizeof(*s));
  s->base.previous = archive_previous;
  s->base.destroy = archive_destroy;
  kavro_err_t err = parse_spec(spec, s, error);
  /* Open it once now, so that a missing or unreadable archive is a usage
   * problem reported before any file is checked. */
  struct archive *a = err == KAVRO_OK ? open_archive(s, error) : NULL;
  struct archive_entry *entry;
  if (a && archive_read_next_header(a, &entry) < ARCHIVE_WARN) {
    err = sc_fail(error, KAVRO_ERR_IO, s->file, "cannot read the archive: %s",
                  archive_error_string(a));
  } else if (!a && err == KAVRO_OK) {
    err = KAVRO_ERR_IO;
  }
  if (a)
    archive_read_free(a);
  if (err != KAVRO_OK) {
    archive_destroy(&s->base);
    return err;
  }
  s->top = sc_git_toplevel(cwd, NULL);
  if (!s->top)
    s->top = sc_xstrdup(cwd);
  s->base.description = sc_xasprintf("archive %s", spec);
  *sourcep = &s->base;
  return KAVRO_OK;
}
