/*
 * sr-compat - shared helpers (see util.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void sc_out_of_memory(void) {
  fputs("sr-compat: out of memory\n", stderr);
  exit(SC_EXIT_ERROR);
}

void *sc_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p)
    sc_out_of_memory();
  return p;
}

void *sc_xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p)
    sc_out_of_memory();
  return p;
}

void *sc_xrealloc(void *ptr, size_t size) {
  void *p = realloc(ptr, size ? size : 1);
  if (!p)
    sc_out_of_memory();
  return p;
}

char *sc_xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p)
    sc_out_of_memory();
  return p;
}

char *sc_xvasprintf(const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n < 0)
    sc_out_of_memory();
  char *s = sc_xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *sc_xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = sc_xvasprintf(fmt, ap);
  va_end(ap);
  return s;
}

char *sc_printable(const char *s, unsigned flags) {
  char *shown = kavro_text_printable(s, flags);
  if (!shown)
    sc_out_of_memory();
  return shown;
}

void sc_print_line(FILE *out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *line = sc_xvasprintf(fmt, ap);
  va_end(ap);
  char *shown = sc_printable(line, SC_TEXT_LINE);
  fprintf(out, "%s\n", shown);
  free(shown);
  free(line);
}

json_t *sc_xjson(json_t *value) {
  if (!value)
    sc_out_of_memory();
  return value;
}

kavro_err_t sc_fail(kavro_error_t *error, kavro_err_t code, const char *source,
                    const char *fmt, ...) {
  if (!error)
    return code;
  memset(error, 0, sizeof(*error));
  error->code = code;
  error->position = -1;
  if (source)
    snprintf(error->source, sizeof(error->source), "%s", source);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error->text, sizeof(error->text), fmt, ap);
  va_end(ap);
  return code;
}

void sc_note_unreachable(kavro_error_t *latch, const kavro_error_t *error) {
  if (latch->code ||
      (error->code != KAVRO_ERR_TRANSPORT && error->code != KAVRO_ERR_TIMED_OUT))
    return;
  kavro_error_t copy = *error;
  /* The original text is cut to fit: its start names the request. */
  snprintf(latch->text, sizeof(latch->text), "not asked: an earlier request "
           "found the registry unreachable (%.400s)", copy.text);
  latch->code = copy.code;
  snprintf(latch->source, sizeof(latch->source), "%s", copy.source);
  latch->position = -1;
}

char *sc_error_text(const kavro_error_t *error) {
  char buf[KAVRO_ERROR_SOURCE_LENGTH + KAVRO_ERROR_PATH_LENGTH +
           KAVRO_ERROR_TEXT_LENGTH + 64];
  return sc_xstrdup(kavro_error_format(error, buf, sizeof(buf)));
}

kavro_err_t sc_read_file(const char *path, char **textp, size_t *lengthp,
                         kavro_error_t *error) {
  *textp = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return sc_fail(error, KAVRO_ERR_IO, path, "cannot open: %s",
                   strerror(errno));
  size_t capacity = 65536, length = 0;
  char *text = sc_xmalloc(capacity);
  kavro_err_t err = KAVRO_OK;
  for (;;) {
    if (length + 1 == capacity) {
      if (capacity > SC_MAX_FILE_SIZE) {
        err = sc_fail(error, KAVRO_ERR_LIMIT, path,
                      "file is larger than %zu bytes", SC_MAX_FILE_SIZE);
        break;
      }
      capacity *= 2;
      text = sc_xrealloc(text, capacity);
    }
    size_t n = fread(text + length, 1, capacity - 1 - length, f);
    length += n;
    if (n == 0) {
      if (ferror(f))
        err = sc_fail(error, KAVRO_ERR_IO, path, "cannot read: %s",
                      strerror(errno));
      break;
    }
  }
  fclose(f);
  if (err == KAVRO_OK && length > SC_MAX_FILE_SIZE)
    err = sc_fail(error, KAVRO_ERR_LIMIT, path,
                  "file is larger than %zu bytes", SC_MAX_FILE_SIZE);
  if (err != KAVRO_OK) {
    free(text);
    return err;
  }
  text[length] = '\0';
  *textp = text;
  if (lengthp)
    *lengthp = length;
  return KAVRO_OK;
}

kavro_err_t sc_read_json_object(const char *path, const char *what,
                                char **textp, kavro_error_t *error) {
  size_t length;
  kavro_err_t err = sc_read_file(path, textp, &length, error);
  if (err != KAVRO_OK)
    return err;
  json_error_t jerr;
  json_t *root = json_loadb(*textp, length, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    err = sc_fail(error, KAVRO_ERR_JSON, path, "not a %s: not valid JSON: %s",
                  what, jerr.text);
    error->line = jerr.line;
    error->column = jerr.column;
  } else if (!json_is_object(root)) {
    err = sc_fail(error, KAVRO_ERR_JSON, path,
                  "not a %s: a %s is a JSON object", what, what);
  }
  json_decref(root);
  if (err != KAVRO_OK) {
    free(*textp);
    *textp = NULL;
  }
  return err;
}

char *sc_path_join(const char *dir, const char *name) {
  if (!dir || !*dir || strcmp(dir, ".") == 0)
    return sc_xstrdup(name);
  size_t n = strlen(dir);
  return sc_xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

char *sc_path_dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return sc_xstrdup(".");
  if (slash == path)
    return sc_xstrdup("/");
  char *dir = strndup(path, (size_t)(slash - path));
  if (!dir)
    sc_out_of_memory();
  return dir;
}

char *sc_path_relative(const char *base, const char *path) {
  size_t n = strlen(base);
  if (n == 1 && base[0] == '/')
    return path[0] == '/' && path[1] ? sc_xstrdup(path + 1) : NULL;
  if (strncmp(base, path, n) != 0 || path[n] != '/' || !path[n + 1])
    return NULL;
  return sc_xstrdup(path + n + 1);
}

char *sc_path_display(const char *base, const char *path) {
  char *inside = sc_path_relative(base, path);
  if (inside)
    return inside;
  if (strcmp(base, path) == 0)
    return sc_xstrdup(".");
  /* The longest directory both start with (0: the root), then one ".."
   * per part of @base below it. */
  size_t common = 0;
  for (size_t i = 0; base[i] && base[i] == path[i];) {
    i++;
    if ((base[i] == '/' || base[i] == '\0') && path[i] == '/')
      common = i;
  }
  size_t ups = 0;
  for (const char *c = base + common; *c; c++)
    ups += *c == '/';
  const char *rest = path + common + 1;
  char *out = sc_xmalloc(ups * 3 + strlen(rest) + 1);
  char *o = out;
  for (size_t i = 0; i < ups; i++, o += 3)
    memcpy(o, "../", 3);
  strcpy(o, rest);
  return out;
}

char *sc_cwd(kavro_error_t *error) {
  char *cwd = getcwd(NULL, 0);
  if (!cwd)
    sc_fail(error, KAVRO_ERR_IO, ".", "cannot find the current directory: %s",
            strerror(errno));
  return cwd;
}

char *sc_realpath(const char *path, kavro_error_t *error) {
  char *real = realpath(path, NULL);
  if (!real)
    sc_fail(error, KAVRO_ERR_IO, path, "cannot open: %s", strerror(errno));
  return real;
}

bool sc_str_in(const char *name, const char *const *list) {
  for (; *list; list++)
    if (strcmp(name, *list) == 0)
      return true;
  return false;
}

char *sc_pointer_append(const char *base, const char *token) {
  size_t extra = 0;
  for (const char *c = token; *c; c++)
    extra += (*c == '~' || *c == '/');
  char *out = sc_xmalloc(strlen(base) + strlen(token) + extra + 2);
  char *o = out + sprintf(out, "%s/", base);
  for (const char *c = token; *c; c++) {
    if (*c == '~' || *c == '/') {
      *o++ = '~';
      *o++ = *c == '~' ? '0' : '1';
    } else {
      *o++ = *c;
    }
  }
  *o = '\0';
  return out;
}
