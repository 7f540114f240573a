/*
 * kavro - internal helpers for filling a kavro_error_t.
 */
#ifndef KAVRO_ERROR_INT_H
#define KAVRO_ERROR_INT_H

#include "kavro/common.h"

/* Reset @error (NULL-safe) to "no error": inline, as every warm path
 * begins with it.  Field by field: the strings are NUL-terminated, so
 * their first bytes are enough, and zeroing the whole structure (over a
 * kilobyte) on every call costs as much as decoding a small message. */
static inline void kv_error_clear(kavro_error_t *error) {
  if (!error)
    return;
  error->code = KAVRO_OK;
  error->line = 0;
  error->column = 0;
  error->position = -1;
  error->http_status = 0;
  error->registry_code = 0;
  error->source[0] = '\0';
  error->path[0] = '\0';
  error->text[0] = '\0';
}

/* Set @error's code and text (printf-style) and return @code, so that a
 * failing function can `return kv_error_set(error, CODE, "...")`.  Other
 * fields (path, source, line) are left as they are.  The text is made
 * printable (text_int.h): URLs lose their user info and control
 * characters are escaped, whatever the arguments quote. */
kavro_err_t kv_error_set(kavro_error_t *error, kavro_err_t code,
                         const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the JSON pointer path (NULL-safe). */
void kv_error_set_path(kavro_error_t *error, const char *path);

/* Set the source name (file, URL) (NULL-safe), made printable as the
 * text is. */
void kv_error_set_source(kavro_error_t *error, const char *source);

#endif /* KAVRO_ERROR_INT_H */
