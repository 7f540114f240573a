/*
 * kavro - JSON pointer to line and column (see json_locate_int.h).
 *
 * A small scanner over the raw text: it follows the pointer segment by
 * segment, skipping the values it does not need, and never builds a tree.
 * It trusts nothing: on malformed text it stops where it is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "common_json_locate_int.h"
#include "common_strbuf_int.h"

typedef struct scan_s {
  const char *text;
  size_t length;
  size_t at;
} scan_t;

static void skip_ws(scan_t *s) {
  while (s->at < s->length && strchr(" \t\r\n", s->text[s->at]) && s->text[s->at])
    s->at++;
}

static bool ends_scalar(char c) {
  return c != '\0' && strchr(",]} \t\r\n", c) != NULL;
}

/* At an opening quote: move past the closing one. */
static void skip_string(scan_t *s) {
  s->at++;
  while (s->at < s->length && s->text[s->at] != '"')
    s->at += s->text[s->at] == '\\' ? 2 : 1;
  if (s->at < s->length)
    s->at++;
}

/* Move past one value of any kind, counting brackets instead of recursing
 * so that any depth is safe. */
static void skip_value(scan_t *s) {
  skip_ws(s);
  if (s->at >= s->length)
    return;
  char c = s->text[s->at];
  if (c == '"') {
    skip_string(s);
    return;
  }
  if (c != '{' && c != '[') {
    /* At least one byte: a scalar's text may hold a NUL (jansson reads
     * "0\0" as 0), and strchr() would call NUL a delimiter. */
    do
      s->at++;
    while (s->at < s->length && !ends_scalar(s->text[s->at]));
    return;
  }
  size_t depth = 0;
  while (s->at < s->length) {
    c = s->text[s->at];
    if (c == '"') {
      skip_string(s);
      continue;
    }
    if (c == '{' || c == '[')
      depth++;
    else if ((c == '}' || c == ']') && --depth == 0) {
      s->at++;
      return;
    }
    s->at++;
  }
}

/* Does the JSON string at s->at (a key) equal the pointer segment
 * [seg, seg_end) once both are unescaped?  Moves past the string.  Handles
 * the escapes a key realistically holds; \u escapes compare unequal. */
static bool key_equals(scan_t *s, const char *seg, const char *seg_end) {
  bool equal = true;
  s->at++;
  while (s->at < s->length && s->text[s->at] != '"') {
    char c = s->text[s->at++];
    if (c == '\\' && s->at < s->length) {
      char e = s->text[s->at++];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'u' ? '\0' : e;
      if (e == 'u')
        equal = false;
    }
    /* Pointer escapes: ~0 is '~', ~1 is '/'. */
    char want = '\0';
    if (seg < seg_end && *seg == '~' && seg + 1 < seg_end) {
      want = seg[1] == '0' ? '~' : '/';
      seg += 2;
    } else if (seg < seg_end) {
      want = *seg++;
    } else {
      equal = false;
    }
    if (c != want)
      equal = false;
  }
  if (s->at < s->length)
    s->at++;
  return equal && seg == seg_end;
}

/* Within the object at s->at, find member [seg, seg_end): leave s->at at
 * its value and *key_at at its key.  False when absent. */
static bool enter_member(scan_t *s, const char *seg, const char *seg_end,
                         size_t *key_at) {
  s->at++; /* '{' */
  for (;;) {
    skip_ws(s);
    if (s->at >= s->length || s->text[s->at] != '"')
      return false;
    *key_at = s->at;
    bool match = key_equals(s, seg, seg_end);
    skip_ws(s);
    if (s->at >= s->length || s->text[s->at] != ':')
      return false;
    s->at++;
    skip_ws(s);
    if (match)
      return true;
    skip_value(s);
    skip_ws(s);
    if (s->at >= s->length || s->text[s->at] != ',')
      return false;
    s->at++;
  }
}

static bool parse_index(const char *seg, const char *seg_end, size_t *index) {
  if (seg == seg_end || (seg_end - seg > 1 && *seg == '0'))
    return false;
  size_t n = 0;
  for (; seg < seg_end; seg++) {
    if (*seg < '0' || *seg > '9' || n > (SIZE_MAX - 9) / 10)
      return false;
    n = n * 10 + (size_t)(*seg - '0');
  }
  *index = n;
  return true;
}

static bool enter_element(scan_t *s, const char *seg, const char *seg_end) {
  size_t index;
  if (!parse_index(seg, seg_end, &index))
    return false;
  s->at++; /* '[' */
  for (size_t i = 0;; i++) {
    skip_ws(s);
    if (s->at >= s->length || s->text[s->at] == ']')
      return false;
    if (i == index)
      return true;
    skip_value(s);
    skip_ws(s);
    if (s->at >= s->length || s->text[s->at] != ',')
      return false;
    s->at++;
  }
}

static void offset_to_pos(const char *text, size_t offset, kv_json_pos_t *pos) {
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; i++)
    if (text[i] == '\n') {
      line++;
      line_start = i + 1;
    }
  pos->line = line;
  pos->column = (int)(offset - line_start) + 1;
  pos->offset = (long)offset;
}

static bool locate(const char *text, size_t length, const char *pointer,
                   bool at_key, kv_json_pos_t *pos) {
  scan_t s = {text, length, 0};
  skip_ws(&s);
  size_t found_at = s.at;
  bool found = true;
  const char *p = pointer ? pointer : "";
  if (strcmp(p, "/") == 0)
    p = "";
  while (*p == '/') {
    const char *seg = p + 1;
    const char *seg_end = strchr(seg, '/');
    if (!seg_end)
      seg_end = seg + strlen(seg);
    char open = s.at < length ? text[s.at] : '\0';
    size_t key_at = s.at;
    bool ok = open == '{' ? enter_member(&s, seg, seg_end, &key_at)
            : open == '[' ? enter_element(&s, seg, seg_end) : false;
    if (!ok) {
      found = false;
      break;
    }
    p = seg_end;
    found_at = (at_key && open == '{' && *p == '\0') ? key_at : s.at;
  }
  offset_to_pos(text, found_at < length ? found_at : length, pos);
  return found;
}

bool kv_json_locate(const char *text, size_t length, const char *pointer,
                    kv_json_pos_t *pos) {
  return locate(text, length, pointer, false, pos);
}

bool kv_json_locate_key(const char *text, size_t length, const char *pointer,
                        kv_json_pos_t *pos) {
  return locate(text, length, pointer, true, pos);
}

/* ---- repeated keys -------------------------------------------------------- */

typedef struct dup_walk_s {
  scan_t s;
  kv_strbuf_t path;
  kv_json_duplicate_fn fn;
  void *opaque;
  bool stopped;
} dup_walk_t;

static bool walk_value(dup_walk_t *d);

/* The key at d->s.at, unescaped into a jansson string (moves past it).
 * jansson parsed this text already, so the quoted key is valid JSON. */
static json_t *read_key(dup_walk_t *d) {
  size_t start = d->s.at;
  skip_string(&d->s);
  return json_loadb(d->s.text + start, d->s.at - start,
                    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

size_t kv_json_pointer_push(char *buf, size_t size, size_t length,
                            const char *key, size_t key_length) {
  if (size == 0)
    return 0;
  if (length + 1 < size)
    buf[length++] = '/';
  for (size_t i = 0; i < key_length; i++) {
    bool escaped = key[i] == '~' || key[i] == '/';
    if (length + (escaped ? 2 : 1) >= size)
      break;
    if (escaped) {
      buf[length++] = '~';
      buf[length++] = key[i] == '~' ? '0' : '1';
    } else {
      buf[length++] = key[i];
    }
  }
  buf[length] = '\0';
  return length;
}

/* Extend the path by @key as a pointer segment ('~' as ~0, '/' as ~1). */
static void push_key(kv_strbuf_t *path, const char *key, size_t length) {
  kv_strbuf_putc(path, '/');
  for (size_t i = 0; i < length; i++) {
    if (key[i] == '~')
      kv_strbuf_puts(path, "~0");
    else if (key[i] == '/')
      kv_strbuf_puts(path, "~1");
    else
      kv_strbuf_putc(path, key[i]);
  }
}

static void pop_path(kv_strbuf_t *path, size_t mark) {
  path->length = mark;
  if (path->data)
    path->data[mark] = '\0';
}

static bool walk_member(dup_walk_t *d, json_t *seen) {
  json_t *key = read_key(d);
  if (!key)
    return false;
  const char *k = json_string_value(key);
  size_t n = json_string_length(key);
  size_t mark = d->path.length;
  push_key(&d->path, k, n);
  bool ok = !kv_strbuf_failed(&d->path);
  if (ok && json_object_getn(seen, k, n)) {
    if (!d->fn(d->opaque, d->path.data, k))
      d->stopped = true;
  } else if (ok) {
    ok = json_object_setn_new(seen, k, n, json_true()) == 0;
  }
  json_decref(key);
  skip_ws(&d->s);
  d->s.at++; /* ':' */
  ok = ok && !d->stopped && walk_value(d);
  pop_path(&d->path, mark);
  return ok;
}

static bool walk_object(dup_walk_t *d) {
  json_t *seen = json_object();
  bool ok = seen != NULL;
  d->s.at++; /* '{' */
  for (;;) {
    skip_ws(&d->s);
    if (!ok || d->s.at >= d->s.length || d->s.text[d->s.at] != '"')
      break;
    ok = walk_member(d, seen);
    skip_ws(&d->s);
    if (d->s.at < d->s.length && d->s.text[d->s.at] == ',')
      d->s.at++;
  }
  if (d->s.at < d->s.length && d->s.text[d->s.at] == '}')
    d->s.at++;
  json_decref(seen);
  return ok;
}

static bool walk_array(dup_walk_t *d) {
  d->s.at++; /* '[' */
  for (size_t i = 0;; i++) {
    skip_ws(&d->s);
    if (d->s.at >= d->s.length || d->s.text[d->s.at] == ']')
      break;
    size_t mark = d->path.length;
    kv_strbuf_printf(&d->path, "/%zu", i);
    bool ok = walk_value(d);
    pop_path(&d->path, mark);
    if (!ok)
      return false;
    skip_ws(&d->s);
    if (d->s.at < d->s.length && d->s.text[d->s.at] == ',')
      d->s.at++;
  }
  if (d->s.at < d->s.length)
    d->s.at++;
  return true;
}

static bool walk_value(dup_walk_t *d) {
  skip_ws(&d->s);
  char c = d->s.at < d->s.length ? d->s.text[d->s.at] : '\0';
  if (c == '{')
    return walk_object(d);
  if (c == '[')
    return walk_array(d);
  skip_value(&d->s);
  return true;
}

bool kv_json_duplicate_keys(const char *text, size_t length,
                            kv_json_duplicate_fn fn, void *opaque) {
  dup_walk_t d = {{text, length, 0}, KV_STRBUF_INIT, fn, opaque, false};
  bool ok = walk_value(&d) && !d.stopped && !kv_strbuf_failed(&d.path);
  kv_strbuf_free(&d.path);
  return ok;
}
