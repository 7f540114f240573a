/*
 * sr-compat - small helpers every part of the program shares: exit codes,
 * allocation that ends the program when memory runs out, error details in
 * kavro's own kavro_error_t, bounded file reading and path arithmetic.
 *
 * A command-line tool has nothing useful to do once malloc fails, so the
 * sc_x* allocators print one line and exit with status 2 rather than
 * threading NULL checks through every function.
 */
#ifndef SR_COMPAT_UTIL_H
#define SR_COMPAT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>
#include <kavro.h>

/* Exit statuses, the contract with CI pipelines. */
#define SC_EXIT_OK 0       /* compatible, or lint found nothing */
#define SC_EXIT_FINDINGS 1 /* incompatible, invalid schema, lint findings */
#define SC_EXIT_ERROR 2    /* usage, I/O, git or registry errors */

/* Bound on any file the program reads: a schema, a catalog, a version from
 * git.  The same bound the schema parser applies by default. */
#define SC_MAX_FILE_SIZE ((size_t)KAVRO_SCHEMA_DEFAULT_MAX_SIZE)

/* Print that memory ran out and exit with SC_EXIT_ERROR. */
void sc_out_of_memory(void) __attribute__((noreturn));

void *sc_xmalloc(size_t size);
void *sc_xcalloc(size_t count, size_t size);
void *sc_xrealloc(void *ptr, size_t size);
char *sc_xstrdup(const char *s);
char *sc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sc_xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
/* What text made for people (stderr, the text and GitHub formats) goes
 * through: it may quote registry replies, file names and URLs, so URLs
 * lose their user info and control characters, which could drive a
 * terminal or forge a CI log line, are escaped. */
#define SC_TEXT_LINE (KAVRO_TEXT_REDACT_URLS | KAVRO_TEXT_ESCAPE_CONTROLS)

/* kavro_text_printable() of @s with @flags, which cannot fail. */
char *sc_printable(const char *s, unsigned flags);

/* Print one line on @out: formatted as printf() does, then made printable
 * (SC_TEXT_LINE) as a whole, since a URL's user info is found only in the
 * whole; then a newline. */
void sc_print_line(FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A jansson value that must exist (constructors return NULL only when out
 * of memory). */
json_t *sc_xjson(json_t *value);

/* Make room for one more element in a growable array. */
#define SC_GROW(array, count, capacity)                                       \
  do {                                                                        \
    if ((count) == (capacity)) {                                              \
      (capacity) = (capacity) ? 2 * (capacity) : 8;                           \
      (array) = sc_xrealloc((array), (capacity) * sizeof(*(array)));          \
    }                                                                         \
  } while (0)

/* Fill @error (may be NULL) with @code, @source (the file the message is
 * about, may be NULL) and the formatted text.  Returns @code. */
kavro_err_t sc_fail(kavro_error_t *error, kavro_err_t code, const char *source,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* When @error says the registry could not be reached (a connection that
 * failed or timed out), which the next request would find again, keep the
 * first such error in @latch (zeroed at first), worded for the requests
 * not made: they fail with it at once instead of waiting out the same
 * time-outs. */
void sc_note_unreachable(kavro_error_t *latch, const kavro_error_t *error);

/* "source:line:col: path: text" of @error, in a new string. */
char *sc_error_text(const kavro_error_t *error);

/* Read the file at @path (at most SC_MAX_FILE_SIZE bytes) into a new
 * NUL-terminated buffer.  Errors name the file. */
kavro_err_t sc_read_file(const char *path, char **textp, size_t *lengthp,
                         kavro_error_t *error);

/* Read the file at @path as sc_read_file() does and check that it holds
 * one JSON object (@what names what it should be, "rule set", in
 * errors, which name the file and, for text that is not JSON, the line
 * and column); the text in *@textp. */
kavro_err_t sc_read_json_object(const char *path, const char *what,
                                char **textp, kavro_error_t *error);

/* @dir joined with the relative path @name ("." and "" leave @name alone). */
char *sc_path_join(const char *dir, const char *name);

/* @base + "/" + @token, the token escaped as RFC 6901 says ('~' and
 * '/'): the JSON pointer of a member or an element.  Free it. */
char *sc_pointer_append(const char *base, const char *token);

/* The directory part of @path ("." when there is none). */
char *sc_path_dirname(const char *path);

/* @path relative to the directory @base (both canonical, absolute), or
 * NULL when @path is not inside @base. */
char *sc_path_relative(const char *base, const char *path);

/* @path as seen from the directory @base (both canonical, absolute):
 * "avro/a.avsc" inside it, "../avro/a.avsc" beside it. */
char *sc_path_display(const char *base, const char *path);

/* The current directory, canonical; NULL (with @error) when unknown. */
char *sc_cwd(kavro_error_t *error);

/* The canonical absolute form of @path, which must exist; NULL (with
 * @error naming @path) otherwise. */
char *sc_realpath(const char *path, kavro_error_t *error);

/* Does @name appear in the NULL-terminated list @list? */
bool sc_str_in(const char *name, const char *const *list);

#endif /* SR_COMPAT_UTIL_H */
