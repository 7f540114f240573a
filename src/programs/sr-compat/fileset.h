/*
 * sr-compat - the set of schema files one run works on: the files named on
 * the command line, the catalog's topics and the files their schemas
 * reference, in dependency order, each parsed with the schemas it
 * references.
 */
#ifndef SR_COMPAT_FILESET_H
#define SR_COMPAT_FILESET_H

#include <stdbool.h>
#include <stddef.h>

#include <kavro.h>

typedef struct sc_file_s sc_file_t;

struct sc_file_s {
  char *path;          /* as shown to people: as given on the command
                          line, else relative to the current directory */
  bool given;          /* path is the command line's spelling */
  char *real;          /* canonical absolute path: the file's identity */
  char *subject;       /* registry subject, when the catalog gives one */
  char *type_name;     /* the name registry references give it (the
                          catalog's reference "name"), NULL when not given */
  int ref_version;     /* the version references pin (the catalog's
                          reference "version"), 0 when not given */
  bool referenced;     /* another file of the set uses its types */
  sc_file_t **refs;    /* files whose named types this one uses */
  size_t ref_count, ref_capacity;
  bool requested;      /* to be checked or linted (not only referenced) */
  bool needed;         /* requested, or referenced by a needed file */

  /* Filled by sc_fileset_load(). */
  bool loaded;
  char *text;          /* the file's text, NULL when unreadable */
  size_t length;
  kavro_schema_t *schema; /* NULL when unreadable or invalid */
  kavro_error_t error;    /* why schema is NULL */

  size_t index;        /* position in the set after sc_fileset_order() */
  int mark;            /* depth-first search state while ordering */
};

/* A catalog topic: which file, subject and level. */
typedef struct sc_topic_s {
  char *name;
  char *subject;
  bool has_level;
  kavro_compat_level_t level;
  char *key;           /* partition-key template, NULL when none */
  sc_file_t *file;
} sc_topic_t;

typedef struct sc_fileset_s {
  char *cwd;               /* canonical current directory */
  char *catalog;           /* catalog path as shown, NULL when none */
  bool has_level;          /* catalog-wide default level */
  kavro_compat_level_t level;
  sc_file_t **files;       /* dependency order after sc_fileset_order() */
  size_t file_count, file_capacity;
  sc_topic_t *topics;      /* catalog order */
  size_t topic_count, topic_capacity;
} sc_fileset_t;

/* An empty set; NULL (with @error) when the current directory is unknown. */
sc_fileset_t *sc_fileset_new(kavro_error_t *error);
void sc_fileset_destroy(sc_fileset_t *set);

/* The file at @path in the set, added when new.  The file must exist.
 * @source names what asked for it (the catalog), for errors; NULL when
 * @path came from the command line. */
sc_file_t *sc_fileset_add(sc_fileset_t *set, const char *path,
                          const char *source, kavro_error_t *error);

/* Mark @file as one to check or lint.  The files it references are loaded
 * because it needs them, but not reported on. */
void sc_fileset_request(sc_file_t *file);

/* Record that @file uses named types from @ref (no duplicates). */
void sc_fileset_add_ref(sc_file_t *file, sc_file_t *ref);

/* Sort the files so that every file comes after the files it references.
 * A reference cycle is an error that names the files on it. */
kavro_err_t sc_fileset_order(sc_fileset_t *set, kavro_error_t *error);

/* Read and parse every requested file and everything it references, in
 * order, each with its references' schemas.  Per-file failures stay in
 * the file (its error); only running out of resources fails the call. */
void sc_fileset_load(sc_fileset_t *set);

/* How a version is read: the file as it is now must pass every rule; a
 * previous version, which a registry may hold, is read as a registry
 * reads it (kavro_parse_options_t.lenient). */
typedef enum sc_reading_e { SC_READ_STRICT, SC_READ_LENIENT } sc_reading_t;

/* Parse @text (a version of @file) with @refs (@file->ref_count schemas in
 * the order of @file->refs) as references; @source names it in errors. */
kavro_err_t sc_fileset_parse(const sc_file_t *file, const char *text,
                             size_t length, const char *source,
                             kavro_schema_t *const *refs, sc_reading_t reading,
                             kavro_schema_t **schemap, kavro_error_t *error);

/* The subject @file is registered under when other schemas reference it
 * (and when it is checked against a registry without a topic): the
 * catalog's subject, else, for a referenced file, the full name of its
 * top-level type (the registry's RecordNameStrategy), else NULL. */
const char *sc_file_subject(const sc_file_t *file);

/* The name a registry reference to @file carries: the catalog's "name",
 * else the full name of its top-level type; NULL when it does not parse. */
const char *sc_file_type_name(const sc_file_t *file);

/* The topics whose schema is @file, through @out (capacity
 * set->topic_count); returns how many. */
size_t sc_fileset_topics_of(const sc_fileset_t *set, const sc_file_t *file,
                            const sc_topic_t **out);

#endif /* SR_COMPAT_FILESET_H */
