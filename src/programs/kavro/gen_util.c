/*
 * kavro gen - small helpers (see gen_util.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_util.h"

_Noreturn void gen_oom(void) {
  fprintf(stderr, "kavro gen: out of memory\n");
  exit(2);
}

void *gen_xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p)
    gen_oom();
  return p;
}

char *gen_xstrdup(const char *s) { return gen_strndup(s, strlen(s)); }

char *gen_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    gen_oom();
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *gen_strf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    gen_oom();
  char *p = malloc((size_t)n + 1);
  if (!p)
    gen_oom();
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

char *gen_snake(const char *name) {
  size_t n = strlen(name);
  char *out = gen_xcalloc(2 * n + 1, 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (isupper(c) && i > 0 && out[k - 1] != '_') {
      unsigned char prev = (unsigned char)name[i - 1];
      unsigned char next = (unsigned char)name[i + 1];
      /* a new word: after a lower-case letter or digit, or the last capital
       * of an acronym before a lower-case letter ("HTTPServer") */
      if (islower(prev) || isdigit(prev) || (isupper(prev) && islower(next)))
        out[k++] = '_';
    }
    out[k++] = (char)tolower(c);
  }
  return out;
}

char *gen_upper(const char *s) {
  char *out = gen_xstrdup(s);
  for (char *p = out; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  return out;
}

char *gen_c_identifier(const char *name) {
  static const char *const keywords[] = {
      "auto",     "break",    "case",     "char",       "const",    "continue",
      "default",  "do",       "double",   "else",       "enum",     "extern",
      "float",    "for",      "goto",     "if",         "inline",   "int",
      "long",     "register", "restrict", "return",     "short",    "signed",
      "sizeof",   "static",   "struct",   "switch",     "typedef",  "union",
      "unsigned", "void",     "volatile", "while",      "bool",     "true",
      "false",    "_Bool",    "_Complex", "_Imaginary", "_Alignas", "_Alignof",
      "_Atomic",  "_Generic", "_Noreturn", "_Static_assert", "_Thread_local"};
  for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
    if (strcmp(name, keywords[i]) == 0)
      return gen_strf("%s_", name);
  return gen_xstrdup(name);
}
