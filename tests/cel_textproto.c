/*
 * kavro tests - the protobuf text format reader of cel_textproto.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel_textproto.h"

typedef struct reader_s {
  const char *p, *end;
  char *err;
  size_t err_size;
  int depth;
} reader_t;

static bool fail(reader_t *r, const char *what) {
  snprintf(r->err, r->err_size, "textproto: %s near \"%.20s\"", what, r->p);
  return false;
}

static void skip_space(reader_t *r) {
  while (r->p < r->end) {
    if (*r->p == '#')
      while (r->p < r->end && *r->p != '\n')
        r->p++;
    else if (strchr(" \t\r\n,;", *r->p))
      r->p++;
    else
      break;
  }
}

static bool add_kid(tp_node_t *parent, tp_node_t *kid) {
  tp_node_t **k = realloc(parent->kids, (parent->nkids + 1) * sizeof *k);
  if (!k)
    return false;
  parent->kids = k;
  k[parent->nkids++] = kid;
  return true;
}

static int octal(int c) { return c >= '0' && c <= '7' ? c - '0' : -1; }
static int hexval(int c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static size_t put_utf8(char *o, unsigned long cp) {
  if (cp < 0x80) return o[0] = (char)cp, 1;
  if (cp < 0x800)
    return o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 63)), 2;
  if (cp < 0x10000)
    return o[0] = (char)(0xE0 | (cp >> 12)),
           o[1] = (char)(0x80 | ((cp >> 6) & 63)),
           o[2] = (char)(0x80 | (cp & 63)), 3;
  return o[0] = (char)(0xF0 | (cp >> 18)),
         o[1] = (char)(0x80 | ((cp >> 12) & 63)),
         o[2] = (char)(0x80 | ((cp >> 6) & 63)),
         o[3] = (char)(0x80 | (cp & 63)), 4;
}

/* One quoted string appended to @out (room assured by the caller). */
static bool read_string(reader_t *r, char *out, size_t *n) {
  char q = *r->p++;
  while (r->p < r->end && *r->p != q) {
    char c = *r->p++;
    if (c != '\\') {
      out[(*n)++] = c;
      continue;
    }
    if (r->p >= r->end)
      return fail(r, "truncated escape");
    c = *r->p++;
    static const char pairs[] = "n\nt\tr\ra\ab\bf\fv\v\\\\''\"\"??";
    const char *simple = strchr(pairs, c);
    if (c && simple && (simple - pairs) % 2 == 0) {
      out[(*n)++] = simple[1];
    } else if (octal(c) >= 0) {
      int v = octal(c);
      for (int i = 0; i < 2 && r->p < r->end && octal(*r->p) >= 0; i++)
        v = v * 8 + octal(*r->p++);
      out[(*n)++] = (char)v;
    } else if (c == 'x') {
      int v = 0;
      for (int i = 0; i < 2 && r->p < r->end && hexval(*r->p) >= 0; i++)
        v = v * 16 + hexval(*r->p++);
      out[(*n)++] = (char)v;
    } else if (c == 'u' || c == 'U') {
      unsigned long v = 0;
      for (int i = 0; i < (c == 'u' ? 4 : 8) && r->p < r->end; i++)
        v = v * 16 + (unsigned long)hexval(*r->p++);
      *n += put_utf8(out + *n, v);
    } else {
      return fail(r, "unknown escape");
    }
  }
  if (r->p >= r->end)
    return fail(r, "unterminated string");
  r->p++;
  return true;
}

static bool read_fields(reader_t *r, tp_node_t *parent, char close);

static bool read_value(reader_t *r, tp_node_t *node) {
  skip_space(r);
  if (r->p < r->end && (*r->p == '{' || *r->p == '<')) {
    char close = *r->p == '{' ? '}' : '>';
    r->p++;
    if (++r->depth > 64)
      return fail(r, "nested too deeply");
    bool ok = read_fields(r, node, close);
    r->depth--;
    return ok;
  }
  if (r->p < r->end && (*r->p == '"' || *r->p == '\'')) {
    node->scalar = malloc((size_t)(r->end - r->p) + 1);
    if (!node->scalar)
      return fail(r, "out of memory");
    node->quoted = true;
    while (r->p < r->end && (*r->p == '"' || *r->p == '\'')) {
      if (!read_string(r, node->scalar, &node->scalar_len))
        return false;
      skip_space(r);
    }
    node->scalar[node->scalar_len] = '\0';
    return true;
  }
  const char *start = r->p;
  while (r->p < r->end && !strchr(" \t\r\n,;{}<>#", *r->p))
    r->p++;
  if (r->p == start)
    return fail(r, "expected a value");
  node->scalar_len = (size_t)(r->p - start);
  node->scalar = strndup(start, node->scalar_len);
  return node->scalar != NULL || fail(r, "out of memory");
}

static bool read_fields(reader_t *r, tp_node_t *parent, char close) {
  for (;;) {
    skip_space(r);
    if (r->p >= r->end)
      return close ? fail(r, "unterminated message") : true;
    if (*r->p == close) {
      r->p++;
      return true;
    }
    const char *start = r->p;
    if (*r->p == '[') {
      while (r->p < r->end && *r->p != ']')
        r->p++;
      if (r->p < r->end)
        r->p++;
    } else {
      while (r->p < r->end && (*r->p == '_' || *r->p == '.' ||
                               isalnum((unsigned char)*r->p)))
        r->p++;
    }
    if (r->p == start)
      return fail(r, "expected a field name");
    tp_node_t *kid = calloc(1, sizeof *kid);
    if (!kid || !(kid->name = strndup(start, (size_t)(r->p - start))) ||
        !add_kid(parent, kid)) {
      tp_free(kid);
      return fail(r, "out of memory");
    }
    skip_space(r);
    if (r->p < r->end && *r->p == ':')
      r->p++;
    if (!read_value(r, kid))
      return false;
  }
}

tp_node_t *tp_parse(const char *text, char *err, size_t err_size) {
  reader_t r = {.p = text, .end = text + strlen(text), .err = err,
                .err_size = err_size};
  tp_node_t *root = calloc(1, sizeof *root);
  if (!root || !read_fields(&r, root, '\0')) {
    tp_free(root);
    return NULL;
  }
  return root;
}

void tp_free(tp_node_t *node) {
  if (!node)
    return;
  for (size_t i = 0; i < node->nkids; i++)
    tp_free(node->kids[i]);
  free(node->kids);
  free(node->name);
  free(node->scalar);
  free(node);
}

const tp_node_t *tp_get(const tp_node_t *node, const char *name) {
  for (size_t i = 0; node && i < node->nkids; i++)
    if (strcmp(node->kids[i]->name, name) == 0)
      return node->kids[i];
  return NULL;
}
