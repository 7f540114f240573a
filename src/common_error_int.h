/*
 * kavro - internal helpers for filling a kavro_error_t.
 */
#ifndef KAVRO_ERROR_INT_H
#define KAVRO_ERROR_INT_H

#include "kavro/common.h"

/* Reset @error (NULL-safe) to "no error". */
void kv_error_clear(kavro_error_t *error);

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
