/*
 * sr-compat - a source of previous versions: where `check` finds what the
 * consumers of a schema already read.  Implementations: a git ref
 * (source_git.c), a directory of older copies (source_dir.c) and one
 * explicit file (source_pair.c), and a subject's versions in a running
 * Schema Registry (source_registry.c), which answers by subject where the
 * others answer by path, hands out schemas it has already parsed (with
 * their registry references resolved) and knows each subject's level.
 */
#ifndef SR_COMPAT_SOURCE_H
#define SR_COMPAT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include <kavro.h>

/* What a source is asked about: one schema file of the run. */
typedef struct sc_target_s {
  const char *path;     /* as shown to people */
  const char *real;     /* canonical absolute path */
  const char *subject;  /* registry subject, NULL when unknown */
  kavro_compat_level_t level; /* the level it is checked under: a registry
                                 source fetches every version only for the
                                 _TRANSITIVE levels */
} sc_target_t;

/* One previous version. */
typedef struct sc_version_s {
  char *text;           /* NUL-terminated */
  size_t length;
  char *label;          /* names the version in reports: "git:v1:avro/a.avsc" */
  kavro_schema_t *schema; /* already parsed by the source, NULL when only
                             the text is known */
  int number;           /* the registry's version number, 0 for files */
} sc_version_t;

/* Previous versions of one target, oldest first; none for a new file. */
typedef struct sc_versions_s {
  sc_version_t *items;
  size_t count, capacity;
} sc_versions_t;

typedef struct sc_source_s sc_source_t;

struct sc_source_s {
  /* Where the versions come from, for "not in ..." ("git:v1", "old/"). */
  char *description;
  /* Fill @out (empty on entry) with the previous versions of @target.
   * A target with no previous version is not an error.  Errors (the file
   * could not be read, git failed) name the target's path. */
  kavro_err_t (*previous)(sc_source_t *self, const sc_target_t *target,
                          sc_versions_t *out, kavro_error_t *error);
  /* The subject's own compatibility level, for a source that knows it (a
   * registry); NULL for the others. */
  kavro_err_t (*level)(sc_source_t *self, const sc_target_t *target,
                       kavro_compat_level_t *level, kavro_error_t *error);
  /* Versions belong to a subject, not to a file: one file checked under
   * two subjects has two histories. */
  bool by_subject;
  void (*destroy)(sc_source_t *self);
};

/* Versions of the file at @ref in the git repository holding the current
 * directory @cwd.  Checks that the ref exists. */
kavro_err_t sc_source_git_new(const char *cwd, const char *ref,
                              sc_source_t **sourcep, kavro_error_t *error);

/* Is @arg of --against a git URL ("https://...", "git@host:...", "ssh://",
 * "file://", or a path ending in ".git", each with an optional
 * "#branch=B" or "#tag=T") rather than a file? */
bool sc_source_is_git_url(const char *arg);

/* Versions of the files in the repository at the git URL @arg (see
 * sc_source_is_git_url()), cloned with depth 1 into a temporary directory
 * removed by sc_source_destroy(), each at its path relative to the top of
 * the work tree holding @cwd (or to @cwd outside one). */
kavro_err_t sc_source_remote_new(const char *cwd, const char *arg,
                                 sc_source_t **sourcep, kavro_error_t *error);

/* Versions in the .tar(.gz|.bz2|.xz|.zst) or .zip archive named by @spec
 * ("FILE" or "FILE#strip_components=N"), each at its path relative to the
 * top of the work tree holding @cwd (or to @cwd outside one), after the
 * first N components of the archive's names are dropped.  The archive is
 * read with libarchive, entry by entry, never extracted to disk. */
kavro_err_t sc_source_archive_new(const char *cwd, const char *spec,
                                  sc_source_t **sourcep, kavro_error_t *error);

/* Versions under @dir, at each target's path relative to @cwd. */
kavro_err_t sc_source_dir_new(const char *cwd, const char *dir,
                              sc_source_t **sourcep, kavro_error_t *error);

/* The catalog `sr-compat download` writes at the top of its output. */
#define SC_DOWNLOAD_CATALOG "sr-compat-download.json"

/* Does @dir hold what `sr-compat download` wrote (its catalog)? */
bool sc_source_is_download(const char *dir);

/* Versions from the output of `sr-compat download` in @dir, by subject as
 * a registry answers: the versions downloaded for each target's subject
 * (parsed with the downloaded schemas they reference, as the download's
 * catalog maps them), under the level the registry had for the subject.
 * A subject not downloaded is new. */
kavro_err_t sc_source_download_new(const char *dir, sc_source_t **sourcep,
                                   kavro_error_t *error);

/* The file @old as the previous version of the target at @new, and no
 * previous version of anything else. */
kavro_err_t sc_source_pair_new(const char *old, const char *new_path,
                               sc_source_t **sourcep, kavro_error_t *error);

/* The versions of the subject of each target in the registry @registry
 * (borrowed: it must outlive the source), which @shown_url names without
 * credentials.  A subject the registry does not know is new. */
kavro_err_t sc_source_registry_new(kavro_registry_t *registry,
                                   const char *shown_url, sc_source_t **sourcep,
                                   kavro_error_t *error);

/* Append a version (takes ownership of @text and @label). */
void sc_versions_add(sc_versions_t *versions, char *text, size_t length,
                     char *label);

/* Append a parsed version, registry version @number (takes ownership of
 * @schema and @label; the text is the schema's). */
void sc_versions_add_schema(sc_versions_t *versions, kavro_schema_t *schema,
                            int number, char *label);
void sc_versions_clear(sc_versions_t *versions);

/* Release a source.  NULL-safe. */
void sc_source_destroy(sc_source_t *source);

#endif /* SR_COMPAT_SOURCE_H */
