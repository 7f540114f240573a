/*
 * kavro gen - small helpers: allocation that gives up on out-of-memory
 * (a code generator has nothing to save), strings, and C names.
 */
#ifndef KAVRO_GEN_UTIL_H
#define KAVRO_GEN_UTIL_H

#include <stddef.h>

/* Print "out of memory" and exit with status 2. */
_Noreturn void gen_oom(void);
void *gen_xcalloc(size_t n, size_t size);
char *gen_xstrdup(const char *s);
char *gen_strndup(const char *s, size_t n);
char *gen_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "ServiceOrderCreated" -> "service_order_created", "HTTPServer" ->
 * "http_server". */
char *gen_snake(const char *name);
/* ASCII upper case. */
char *gen_upper(const char *s);
/* @name, with a trailing '_' when it is a C keyword. */
char *gen_c_identifier(const char *name);

/* Append @item to the growable array @array of @count (capacity @cap). */
#define GEN_PUSH(array, count, cap, item)                                      \
  do {                                                                         \
    if ((count) == (cap)) {                                                    \
      size_t gen_cap_ = (cap) ? 2 * (cap) : 16;                                \
      void *gen_p_ = realloc((array), gen_cap_ * sizeof(*(array)));            \
      if (!gen_p_)                                                             \
        gen_oom();                                                             \
      (array) = gen_p_;                                                        \
      (cap) = gen_cap_;                                                        \
    }                                                                          \
    (array)[(count)++] = (item);                                               \
  } while (0)

#endif /* KAVRO_GEN_UTIL_H */
