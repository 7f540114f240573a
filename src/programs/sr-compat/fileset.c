/*
 * sr-compat - the set of schema files of one run (see fileset.h).
 *
 * Files are identified by their canonical path, so `avro/a.avsc`,
 * `./avro/a.avsc` and the catalog's `a.avsc` are one file, parsed once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileset.h"
#include "util.h"

sc_fileset_t *sc_fileset_new(kavro_error_t *error) {
  char *cwd = sc_cwd(error);
  if (!cwd)
    return NULL;
  sc_fileset_t *set = sc_xcalloc(1, sizeof(*set));
  set->cwd = cwd;
  return set;
}

static void file_destroy(sc_file_t *file) {
  free(file->path);
  free(file->real);
  free(file->subject);
  free(file->type_name);
  free(file->refs);
  free(file->text);
  kavro_schema_destroy(file->schema);
  free(file);
}

void sc_fileset_destroy(sc_fileset_t *set) {
  if (!set)
    return;
  for (size_t i = 0; i < set->file_count; i++)
    file_destroy(set->files[i]);
  for (size_t i = 0; i < set->topic_count; i++) {
    free(set->topics[i].name);
    free(set->topics[i].subject);
    free(set->topics[i].key);
  }
  free(set->files);
  free(set->topics);
  free(set->catalog);
  free(set->cwd);
  free(set);
}

sc_file_t *sc_fileset_add(sc_fileset_t *set, const char *path,
                          const char *source, kavro_error_t *error) {
  char *real = sc_realpath(path, error);
  if (!real) {
    if (source)
      sc_fail(error, KAVRO_ERR_IO, source, "cannot open \"%s\", listed here",
              path);
    return NULL;
  }
  for (size_t i = 0; i < set->file_count; i++) {
    sc_file_t *known = set->files[i];
    if (strcmp(known->real, real) != 0)
      continue;
    free(real);
    /* The catalog found it first; the user's own spelling wins. */
    if (!source && !known->given) {
      free(known->path);
      known->path = sc_xstrdup(path);
      known->given = true;
    }
    return known;
  }
  sc_file_t *file = sc_xcalloc(1, sizeof(*file));
  file->real = real;
  /* A path from the command line is shown as the user wrote it (relative
   * stays relative, ./x stays ./x); one from the catalog as seen from the
   * current directory. */
  file->given = !source;
  file->path = source ? sc_path_display(set->cwd, real) : sc_xstrdup(path);
  SC_GROW(set->files, set->file_count, set->file_capacity);
  set->files[set->file_count++] = file;
  return file;
}

void sc_fileset_request(sc_file_t *file) { file->requested = true; }

void sc_fileset_add_ref(sc_file_t *file, sc_file_t *ref) {
  for (size_t i = 0; i < file->ref_count; i++)
    if (file->refs[i] == ref)
      return;
  SC_GROW(file->refs, file->ref_count, file->ref_capacity);
  file->refs[file->ref_count++] = ref;
  ref->referenced = true;
}

const char *sc_file_subject(const sc_file_t *file) {
  if (file->subject)
    return file->subject;
  return file->referenced && file->schema ? kavro_schema_name(file->schema)
                                          : NULL;
}

const char *sc_file_type_name(const sc_file_t *file) {
  if (file->type_name)
    return file->type_name;
  return file->schema ? kavro_schema_name(file->schema) : NULL;
}

enum { UNSEEN, ON_PATH, DONE };

/* "a.avsc -> b.avsc -> a.avsc" for the cycle that ends at @stack[n-1]. */
static kavro_err_t cycle_error(sc_file_t *const *stack, size_t n,
                               const sc_file_t *again, const char *catalog,
                               kavro_error_t *error) {
  size_t start = 0;
  while (stack[start] != again)
    start++;
  size_t length = 0;
  for (size_t i = start; i < n; i++)
    length += strlen(stack[i]->path) + 4;
  char *text = sc_xmalloc(length + strlen(again->path) + 1);
  text[0] = '\0';
  for (size_t i = start; i < n; i++) {
    strcat(text, stack[i]->path);
    strcat(text, " -> ");
  }
  strcat(text, again->path);
  kavro_err_t err = sc_fail(error, KAVRO_ERR_INVALID_ARG, catalog,
                            "references form a cycle: %s", text);
  free(text);
  return err;
}

/* Depth-first, with an explicit stack so a long chain of references
 * cannot exhaust the C stack. */
static kavro_err_t visit(sc_file_t *root, sc_file_t **stack, size_t *next_ref,
                         sc_file_t **order, size_t *ordered,
                         const char *catalog, kavro_error_t *error) {
  size_t depth = 0;
  stack[depth] = root;
  next_ref[depth] = 0;
  root->mark = ON_PATH;
  depth++;
  while (depth > 0) {
    sc_file_t *top = stack[depth - 1];
    if (next_ref[depth - 1] == top->ref_count) {
      top->mark = DONE;
      order[(*ordered)++] = top;
      depth--;
      continue;
    }
    sc_file_t *ref = top->refs[next_ref[depth - 1]++];
    if (ref->mark == ON_PATH)
      return cycle_error(stack, depth, ref, catalog, error);
    if (ref->mark == DONE)
      continue;
    ref->mark = ON_PATH;
    stack[depth] = ref;
    next_ref[depth] = 0;
    depth++;
  }
  return KAVRO_OK;
}

kavro_err_t sc_fileset_order(sc_fileset_t *set, kavro_error_t *error) {
  size_t n = set->file_count;
  sc_file_t **stack = sc_xcalloc(n, sizeof(*stack));
  sc_file_t **order = sc_xcalloc(n, sizeof(*order));
  size_t *next_ref = sc_xcalloc(n, sizeof(*next_ref));
  size_t ordered = 0;
  kavro_err_t err = KAVRO_OK;
  for (size_t i = 0; i < n; i++)
    set->files[i]->mark = UNSEEN;
  for (size_t i = 0; i < n && err == KAVRO_OK; i++)
    if (set->files[i]->mark == UNSEEN)
      err = visit(set->files[i], stack, next_ref, order, &ordered,
                  set->catalog, error);
  if (err == KAVRO_OK) {
    memcpy(set->files, order, n * sizeof(*order));
    for (size_t i = 0; i < n; i++)
      set->files[i]->index = i;
  }
  free(stack);
  free(order);
  free(next_ref);
  return err;
}

kavro_err_t sc_fileset_parse(const sc_file_t *file, const char *text,
                             size_t length, const char *source,
                             kavro_schema_t *const *refs, sc_reading_t reading,
                             kavro_schema_t **schemap, kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = source;
  options.references = refs;
  options.reference_count = file->ref_count;
  options.lenient = reading == SC_READ_LENIENT;
  return kavro_schema_parse(text, length, &options, schemap, error);
}

/* Parse @file with its references' current schemas. */
static void load_file(sc_file_t *file) {
  file->loaded = true;
  if (sc_read_file(file->real, &file->text, &file->length, &file->error) !=
      KAVRO_OK) {
    /* The canonical path is an internal detail: name the file as shown. */
    snprintf(file->error.source, sizeof(file->error.source), "%s", file->path);
    return;
  }
  kavro_schema_t **refs = sc_xcalloc(file->ref_count, sizeof(*refs));
  for (size_t i = 0; i < file->ref_count; i++) {
    refs[i] = file->refs[i]->schema;
    if (!refs[i]) {
      sc_fail(&file->error, KAVRO_ERR_SCHEMA_INVALID, file->path,
              "uses types from %s, which is not a valid schema",
              file->refs[i]->path);
      free(refs);
      return;
    }
  }
  sc_fileset_parse(file, file->text, file->length, file->path, refs,
                   SC_READ_STRICT, &file->schema, &file->error);
  free(refs);
}

void sc_fileset_load(sc_fileset_t *set) {
  /* Files come after their references, so walking backwards reaches every
   * needed file before the files it needs. */
  for (size_t i = set->file_count; i-- > 0;) {
    sc_file_t *file = set->files[i];
    file->needed = file->needed || file->requested;
    if (file->needed)
      for (size_t r = 0; r < file->ref_count; r++)
        file->refs[r]->needed = true;
  }
  for (size_t i = 0; i < set->file_count; i++)
    if (set->files[i]->needed && !set->files[i]->loaded)
      load_file(set->files[i]);
}

size_t sc_fileset_topics_of(const sc_fileset_t *set, const sc_file_t *file,
                            const sc_topic_t **out) {
  size_t n = 0;
  for (size_t i = 0; i < set->topic_count; i++)
    if (set->topics[i].file == file)
      out[n++] = &set->topics[i];
  return n;
}
