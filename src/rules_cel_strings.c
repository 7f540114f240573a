/*
 * kavro - CEL's strings extension, as cel-go's ext.Strings() defines it
 * and as Confluent's rule executors enable it (the JavaScript client's
 * CelExecutor builds its environment with the extension's functions):
 * charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split,
 * substring, trim, join, reverse, strings.quote and format.
 *
 * Indexes count code points, never bytes, as cel-go's runes do.  Results
 * live in the evaluation's scratch, so a warm evaluation allocates
 * nothing.  Errors carry cel-go's texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_cel_impl_int.h"

/* ---- code points ----------------------------------------------------- */

static bool is_lead(unsigned char c) { return (c & 0xC0) != 0x80; }

/* The byte length of the code point starting at @p (at least 1). */
static size_t seq_len(const char *p, size_t n) {
  size_t len = 1;
  while (len < n && !is_lead((unsigned char)p[len]))
    len++;
  return len;
}

static size_t count(const char *p, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += is_lead((unsigned char)p[i]);
  return c;
}

/* The byte offset of code point @index of @p (@n bytes: the end when
 * @index is the number of code points). */
static size_t byte_at(const char *p, size_t n, size_t index) {
  size_t at = 0;
  while (index-- > 0 && at < n)
    at += seq_len(p + at, n - at);
  return at;
}

/* The code point at @p (@n bytes), decoded; U+FFFD for a malformed one. */
static uint32_t decode(const char *p, size_t n, size_t *len) {
  const unsigned char *u = (const unsigned char *)p;
  *len = seq_len(p, n);
  if (*len == 1)
    return u[0] < 0x80 ? u[0] : 0xFFFD;
  uint32_t c = u[0] & (0x7F >> *len);
  for (size_t i = 1; i < *len; i++)
    c = c << 6 | (u[i] & 0x3F);
  return c;
}

static kv_cel_val_t out_of_range(kv_cel_scratch_t *s, int64_t index) {
  return kv_cel_errf(s, "index out of range: %lld", (long long)index);
}

static kv_cel_val_t slice(const kv_cel_val_t *str, size_t from, size_t to) {
  return kv_cel_str(KV_CEL_STRING, str->u.s.p + from, to - from);
}

/* ---- searching ------------------------------------------------------- */

/* Whether @sub occurs in @str at byte @at. */
static bool occurs_at(const kv_cel_val_t *str, size_t at,
                      const kv_cel_val_t *sub) {
  return at + sub->u.s.n <= str->u.s.n &&
         memcmp(str->u.s.p + at, sub->u.s.p, sub->u.s.n) == 0;
}

static kv_cel_val_t index_of(kv_cel_scratch_t *s, const kv_cel_val_t *str,
                             const kv_cel_val_t *sub, int64_t offset) {
  if (sub->u.s.n == 0)
    return kv_cel_int(offset);
  size_t runes = count(str->u.s.p, str->u.s.n);
  /* cel-go refuses an offset at the end; a search of an empty string
   * from its start finds nothing. */
  if (offset < 0 || ((uint64_t)offset >= runes && offset != 0))
    return out_of_range(s, offset);
  size_t at = byte_at(str->u.s.p, str->u.s.n, (size_t)offset);
  for (int64_t i = offset; at < str->u.s.n; i++) {
    if (occurs_at(str, at, sub))
      return kv_cel_int(i);
    at += seq_len(str->u.s.p + at, str->u.s.n - at);
  }
  return kv_cel_int(-1);
}

/* The last occurrence of @sub starting at code point @offset or before;
 * -1 for an @offset past the string when @offset_given is false. */
static kv_cel_val_t last_index_of(kv_cel_scratch_t *s,
                                  const kv_cel_val_t *str,
                                  const kv_cel_val_t *sub, int64_t offset,
                                  bool offset_given) {
  size_t runes = count(str->u.s.p, str->u.s.n);
  if (sub->u.s.n == 0)
    return kv_cel_int(offset_given ? offset : (int64_t)runes);
  if (!offset_given) {
    if (runes == 0)
      return kv_cel_int(-1);
    offset = (int64_t)runes - 1;
  }
  if (offset < 0 || (uint64_t)offset >= runes)
    return out_of_range(s, offset);
  int64_t last = -1, i = 0;
  for (size_t at = 0; at < str->u.s.n && i <= offset; i++) {
    if (occurs_at(str, at, sub))
      last = i;
    at += seq_len(str->u.s.p + at, str->u.s.n - at);
  }
  return kv_cel_int(last);
}

/* ---- making strings -------------------------------------------------- */

static kv_cel_val_t char_at(kv_cel_scratch_t *s, const kv_cel_val_t *str,
                            int64_t index) {
  size_t runes = count(str->u.s.p, str->u.s.n);
  if (index < 0 || (uint64_t)index > runes)
    return out_of_range(s, index);
  size_t at = byte_at(str->u.s.p, str->u.s.n, (size_t)index);
  size_t len = at < str->u.s.n ? seq_len(str->u.s.p + at, str->u.s.n - at) : 0;
  return slice(str, at, at + len);
}

static kv_cel_val_t substring(kv_cel_scratch_t *s, const kv_cel_val_t *str,
                              int64_t start, int64_t end, bool end_given) {
  int64_t runes = (int64_t)count(str->u.s.p, str->u.s.n);
  if (!end_given)
    end = runes;
  if (start < 0 || start > runes)
    return out_of_range(s, start);
  if (end < 0 || end > runes)
    return out_of_range(s, end);
  if (start > end)
    return kv_cel_errf(s, "invalid substring range. start: %lld, end: %lld",
                       (long long)start, (long long)end);
  size_t from = byte_at(str->u.s.p, str->u.s.n, (size_t)start);
  size_t to = from + byte_at(str->u.s.p + from, str->u.s.n - from,
                             (size_t)(end - start));
  return slice(str, from, to);
}

static kv_cel_val_t ascii_case(kv_cel_scratch_t *s, const kv_cel_val_t *str,
                               bool upper) {
  char *p = kv_cel_alloc(s, str->u.s.n + 1);
  if (!p)
    return kv_cel_err("out of scratch memory");
  for (size_t i = 0; i < str->u.s.n; i++) {
    char c = str->u.s.p[i];
    if (upper && c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    p[i] = c;
  }
  p[str->u.s.n] = '\0';
  return kv_cel_str(KV_CEL_STRING, p, str->u.s.n);
}

/* Go's unicode.IsSpace: what strings.TrimSpace, and so trim(), removes. */
static bool is_space(uint32_t c) {
  switch (c) {
  case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
  case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
  case 0x202F: case 0x205F: case 0x3000:
    return true;
  default:
    return c >= 0x2000 && c <= 0x200A;
  }
}

static kv_cel_val_t trim(const kv_cel_val_t *str) {
  size_t from = 0, to = str->u.s.n, len;
  while (from < to && is_space(decode(str->u.s.p + from, to - from, &len)))
    from += len;
  while (to > from) {
    size_t back = to - 1;
    while (back > from && !is_lead((unsigned char)str->u.s.p[back]))
      back--;
    if (!is_space(decode(str->u.s.p + back, to - back, &len)))
      break;
    to = back;
  }
  return slice(str, from, to);
}

static kv_cel_val_t reverse(kv_cel_scratch_t *s, const kv_cel_val_t *str) {
  char *p = kv_cel_alloc(s, str->u.s.n + 1);
  if (!p)
    return kv_cel_err("out of scratch memory");
  size_t to = str->u.s.n;
  for (size_t at = 0; at < str->u.s.n;) {
    size_t len = seq_len(str->u.s.p + at, str->u.s.n - at);
    to -= len;
    memcpy(p + to, str->u.s.p + at, len);
    at += len;
  }
  p[str->u.s.n] = '\0';
  return kv_cel_str(KV_CEL_STRING, p, str->u.s.n);
}

/* Go's strings.Replace: at most @limit replacements (< 0: all); an empty
 * @old matches before every code point and at the end. */
static kv_cel_val_t replace(kv_cel_scratch_t *s, const kv_cel_val_t *str,
                            const kv_cel_val_t *old, const kv_cel_val_t *new,
                            int64_t limit) {
  const char *p = str->u.s.p;
  size_t n = str->u.s.n, matches = 0;
  for (size_t at = 0; at <= n && (limit < 0 || (int64_t)matches < limit);) {
    if (old->u.s.n == 0) {
      matches++;
      at += at < n ? seq_len(p + at, n - at) : 1;
    } else if (occurs_at(str, at, old)) {
      matches++;
      at += old->u.s.n;
    } else {
      at++;
    }
  }
  size_t size = n + matches * new->u.s.n;
  if (old->u.s.n > 0)
    size -= matches * old->u.s.n;
  char *out = kv_cel_alloc(s, size + 1);
  if (!out)
    return kv_cel_err("out of scratch memory");
  size_t o = 0, at = 0;
  for (size_t done = 0; done < matches;) {
    bool hit = old->u.s.n == 0 || occurs_at(str, at, old);
    if (!hit) {
      out[o++] = p[at++];
      continue;
    }
    memcpy(out + o, new->u.s.p, new->u.s.n);
    o += new->u.s.n;
    done++;
    size_t skip = old->u.s.n ? old->u.s.n : at < n ? seq_len(p + at, n - at) : 0;
    memcpy(out + o, p + at, old->u.s.n ? 0 : skip);
    o += old->u.s.n ? 0 : skip;
    at += skip;
  }
  memcpy(out + o, p + at, n - at);
  o += n - at;
  out[o] = '\0';
  return kv_cel_str(KV_CEL_STRING, out, o);
}

/* Go's strings.SplitN: @limit 0 gives no parts, < 0 every part, > 0 at
 * most @limit (the last one the rest); an empty @sep splits code points. */
static kv_cel_val_t split(kv_cel_scratch_t *s, const kv_cel_val_t *str,
                          const kv_cel_val_t *sep, int64_t limit) {
  kv_cel_val_t list = {.kind = KV_CEL_LIST, .rep = KV_CEL_REP_ARENA};
  if (limit == 0)
    return list;
  size_t most = sep->u.s.n ? count(str->u.s.p, str->u.s.n) + 1
                           : count(str->u.s.p, str->u.s.n);
  if (limit > 0 && (uint64_t)limit < most)
    most = (size_t)limit;
  kv_cel_val_t *parts = kv_cel_alloc(s, (most ? most : 1) * sizeof *parts);
  if (!parts)
    return kv_cel_err("out of scratch memory");
  size_t n = 0, from = 0, at = 0;
  while (n + 1 < most && at < str->u.s.n) {
    if (sep->u.s.n == 0) {
      at += seq_len(str->u.s.p + at, str->u.s.n - at);
      parts[n++] = slice(str, from, at);
      from = at;
    } else if (occurs_at(str, at, sep)) {
      parts[n++] = slice(str, from, at);
      at += sep->u.s.n;
      from = at;
    } else {
      at++;
    }
  }
  if (from < str->u.s.n || sep->u.s.n > 0)
    parts[n++] = slice(str, from, str->u.s.n);
  list.u.list.v = parts;
  list.u.list.n = n;
  return list;
}

static kv_cel_val_t join(kv_cel_scratch_t *s, const kv_cel_val_t *list,
                         const kv_cel_val_t *sep) {
  size_t n = kv_cel_list_size(list), size = 0;
  for (size_t i = 0; i < n; i++) {
    kv_cel_val_t item = kv_cel_list_get(s, list, i);
    if (item.kind == KV_CEL_ERROR)
      return item;
    if (item.kind != KV_CEL_STRING)
      return kv_cel_err(KV_CEL_NO_OVERLOAD);
    size += item.u.s.n + (i > 0 && sep ? sep->u.s.n : 0);
  }
  char *out = kv_cel_alloc(s, size + 1);
  if (!out)
    return kv_cel_err("out of scratch memory");
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    kv_cel_val_t item = kv_cel_list_get(s, list, i);
    if (i > 0 && sep) {
      memcpy(out + o, sep->u.s.p, sep->u.s.n);
      o += sep->u.s.n;
    }
    memcpy(out + o, item.u.s.p, item.u.s.n);
    o += item.u.s.n;
  }
  out[o] = '\0';
  return kv_cel_str(KV_CEL_STRING, out, o);
}

/* strings.quote: a double-quoted CEL string literal of @str, a malformed
 * sequence written as U+FFFD. */
static kv_cel_val_t quote(kv_cel_scratch_t *s, const kv_cel_val_t *str) {
  /* At worst every byte becomes an escape or U+FFFD (3 bytes). */
  char *out = kv_cel_alloc(s, str->u.s.n * 3 + 3);
  if (!out)
    return kv_cel_err("out of scratch memory");
  static const char escaped[] = "\a\b\f\n\r\t\v\\\"", letters[] = "abfnrtv\\\"";
  size_t o = 0, len;
  out[o++] = '"';
  for (size_t at = 0; at < str->u.s.n; at += len) {
    const char *p = str->u.s.p + at;
    uint32_t c = decode(p, str->u.s.n - at, &len);
    const char *e = c && c < 0x80 ? strchr(escaped, (int)c) : NULL;
    if (e) {
      out[o++] = '\\';
      out[o++] = letters[e - escaped];
    } else if (c == 0xFFFD && len < 3) {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
    } else {
      memcpy(out + o, p, len);
      o += len;
    }
  }
  out[o++] = '"';
  out[o] = '\0';
  return kv_cel_str(KV_CEL_STRING, out, o);
}

/* ---- format() ------------------------------------------------------- */

/*
 * "%s and %.2f".format([a, b]), as cel-go's formatter writes it: %s any
 * value (lists and maps in brackets, map keys in order of their text),
 * %d an integer, %f and %e a number (precision 6 unless %.Nf), %b, %o, %x
 * and %X an integer (%x and %X also the bytes of a string), %b a bool;
 * NaN and the infinities as NaN, Infinity, -Infinity.  The text grows in
 * the scratch, so the warm path stays without malloc.
 */
typedef struct sink_s {
  kv_cel_scratch_t *s;
  char *p;
  size_t n, cap;
  kv_cel_val_t err; /* kind ERROR once something failed */
} sink_t;

static void put(sink_t *k, const char *t, size_t n) {
  if (k->err.kind == KV_CEL_ERROR)
    return;
  if (k->n + n + 1 > k->cap) {
    size_t cap = (k->n + n + 1) * 2;
    char *p = kv_cel_alloc(k->s, cap);
    if (!p) {
      k->err = kv_cel_err("out of scratch memory");
      return;
    }
    memcpy(p, k->p, k->n);
    k->p = p;
    k->cap = cap;
  }
  memcpy(k->p + k->n, t, n);
  k->n += n;
  k->p[k->n] = '\0';
}

static void put_str(sink_t *k, const char *t) { put(k, t, strlen(t)); }

static void fail(sink_t *k, kv_cel_val_t err) {
  if (k->err.kind != KV_CEL_ERROR)
    k->err = err;
}

/* NaN, Infinity or -Infinity for @d when it is one; false otherwise. */
static bool put_special(sink_t *k, double d) {
  if (d != d)
    put_str(k, "NaN");
  else if (d == 1.0 / 0.0)
    put_str(k, "Infinity");
  else if (d == -1.0 / 0.0)
    put_str(k, "-Infinity");
  else
    return false;
  return true;
}

static void put_text(sink_t *k, const kv_cel_val_t *v);

static void put_list(sink_t *k, const kv_cel_val_t *list) {
  put_str(k, "[");
  for (size_t i = 0, n = kv_cel_list_size(list); i < n; i++) {
    kv_cel_val_t item = kv_cel_list_get(k->s, list, i);
    if (i > 0)
      put_str(k, ", ");
    put_text(k, &item);
  }
  put_str(k, "]");
}

typedef struct entry_s {
  kv_cel_val_t key, value;
  const char *text; /* the key as %s writes it */
} entry_t;

static int entry_order(const void *a, const void *b) {
  return strcmp(((const entry_t *)a)->text, ((const entry_t *)b)->text);
}

static void put_map(sink_t *k, const kv_cel_val_t *map) {
  size_t n = kv_cel_map_size(map);
  entry_t *entries = kv_cel_alloc(k->s, (n ? n : 1) * sizeof *entries);
  if (!entries)
    return fail(k, kv_cel_err("out of scratch memory"));
  for (size_t i = 0; i < n; i++) {
    entries[i].key = kv_cel_map_key(k->s, map, i);
    kv_cel_map_find(k->s, map, &entries[i].key, &entries[i].value);
    sink_t key = {.s = k->s, .p = "", .err = {.kind = KV_CEL_NULL}};
    put_text(&key, &entries[i].key);
    if (key.err.kind == KV_CEL_ERROR)
      return fail(k, key.err);
    entries[i].text = key.p;
  }
  qsort(entries, n, sizeof *entries, entry_order);
  put_str(k, "{");
  for (size_t i = 0; i < n; i++) {
    put_str(k, i > 0 ? ", " : "");
    put_str(k, entries[i].text);
    put_str(k, ": ");
    put_text(k, &entries[i].value);
  }
  put_str(k, "}");
}

/* @v as %s writes it. */
static void put_text(sink_t *k, const kv_cel_val_t *v) {
  switch (v->kind) {
  case KV_CEL_NULL: return put_str(k, "null");
  case KV_CEL_TYPE: return put_str(k, kv_cel_type_name(v->u.type));
  case KV_CEL_LIST: return put_list(k, v);
  case KV_CEL_MAP: return put_map(k, v);
  case KV_CEL_ERROR: return fail(k, *v);
  case KV_CEL_DOUBLE:
    if (put_special(k, v->u.d))
      return;
    /* fall through */
  default: {
    kv_cel_val_t t = kv_cel_to_string(k->s, v);
    if (t.kind == KV_CEL_ERROR)
      return fail(k, t);
    put(k, t.u.s.p, t.u.s.n);
  }
  }
}

/* An integer in base 2, 8 or 16 (@upper: A-F), '-' before a negative. */
static void put_radix(sink_t *k, const kv_cel_val_t *v, unsigned base,
                      bool upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  uint64_t u = v->kind == KV_CEL_UINT ? v->u.u
               : v->kind == KV_CEL_BOOL ? (uint64_t)v->u.b
               : v->u.i < 0 ? -(uint64_t)v->u.i : (uint64_t)v->u.i;
  char buf[72];
  size_t at = sizeof buf;
  do
    buf[--at] = digits[u % base];
  while ((u /= base) > 0);
  if (v->kind == KV_CEL_INT && v->u.i < 0)
    buf[--at] = '-';
  put(k, buf + at, sizeof buf - at);
}

static void put_hex_bytes(sink_t *k, const kv_cel_val_t *v, bool upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (size_t i = 0; i < v->u.s.n; i++) {
    unsigned char c = (unsigned char)v->u.s.p[i];
    char pair[2] = {digits[c >> 4], digits[c & 15]};
    put(k, pair, 2);
  }
}

static bool is_integer(const kv_cel_val_t *v) {
  return v->kind == KV_CEL_INT || v->kind == KV_CEL_UINT;
}

/* One clause: @verb with @precision (-1: none) applied to @v. */
static void put_clause(sink_t *k, char verb, int precision,
                       const kv_cel_val_t *v) {
  char buf[400];
  switch (verb) {
  case 's': return put_text(k, v);
  case 'd':
    if (is_integer(v))
      return put_text(k, v);
    if (v->kind == KV_CEL_DOUBLE && put_special(k, v->u.d))
      return;
    return fail(k, kv_cel_errf(k->s, "error during formatting: decimal "
                               "clause can only be used on integers, was "
                               "given %s", kv_cel_type_name(v->kind)));
  case 'f':
  case 'e': {
    if (!is_integer(v) && v->kind != KV_CEL_DOUBLE)
      break;
    double d = v->kind == KV_CEL_DOUBLE ? v->u.d
               : v->kind == KV_CEL_INT ? (double)v->u.i : (double)v->u.u;
    if (put_special(k, d))
      return;
    int n = snprintf(buf, sizeof buf, verb == 'f' ? "%.*f" : "%.*e",
                     precision < 0 ? 6 : precision, d);
    if (n < 0 || (size_t)n >= sizeof buf)
      return fail(k, kv_cel_err("error during formatting: number too long"));
    return put(k, buf, (size_t)n);
  }
  case 'b':
    if (!is_integer(v) && v->kind != KV_CEL_BOOL)
      break;
    return put_radix(k, v, 2, false);
  case 'o':
    if (!is_integer(v))
      break;
    return put_radix(k, v, 8, false);
  case 'x':
  case 'X':
    if (v->kind == KV_CEL_STRING || v->kind == KV_CEL_BYTES)
      return put_hex_bytes(k, v, verb == 'X');
    if (!is_integer(v))
      break;
    return put_radix(k, v, 16, verb == 'X');
  default:
    return fail(k, kv_cel_errf(k->s, "could not parse formatting clause: "
                               "unrecognized formatting clause \"%c\"", verb));
  }
  fail(k, kv_cel_errf(k->s, "error during formatting: %%%c clause does "
                      "not accept a %s", verb, kv_cel_type_name(v->kind)));
}

/* Precision is at most two digits: "%.6f". */
static const char *read_precision(const char *p, const char *end,
                                  int *precision) {
  *precision = -1;
  if (p < end && *p == '.') {
    *precision = 0;
    for (p++; p < end && *p >= '0' && *p <= '9' && *precision < 100; p++)
      *precision = *precision * 10 + (*p - '0');
  }
  return p;
}

static kv_cel_val_t format(kv_cel_scratch_t *s, const kv_cel_val_t *fmt,
                           const kv_cel_val_t *args) {
  sink_t k = {.s = s, .p = "", .err = {.kind = KV_CEL_NULL}};
  const char *p = fmt->u.s.p, *end = p + fmt->u.s.n;
  size_t next = 0, nargs = kv_cel_list_size(args);
  while (p < end && k.err.kind != KV_CEL_ERROR) {
    const char *pct = memchr(p, '%', (size_t)(end - p));
    if (!pct) {
      put(&k, p, (size_t)(end - p));
      break;
    }
    put(&k, p, (size_t)(pct - p));
    int precision;
    p = read_precision(pct + 1, end, &precision);
    if (p >= end || precision >= 100) {
      fail(&k, kv_cel_err("could not parse formatting clause: "
                          "unterminated formatting clause"));
      break;
    }
    char verb = *p++;
    if (verb == '%') {
      put_str(&k, "%");
      continue;
    }
    if (next >= nargs) {
      fail(&k, kv_cel_errf(s, "index %zu out of range", next));
      break;
    }
    kv_cel_val_t v = kv_cel_list_get(s, args, next++);
    put_clause(&k, verb, precision, &v);
  }
  if (k.err.kind == KV_CEL_ERROR)
    return k.err;
  return kv_cel_str(KV_CEL_STRING, k.p, k.n);
}

/* ---- dispatch -------------------------------------------------------- */

/* Whether args[@from ..] are ints (@nargs in all), stored in @ints. */
static bool int_args(const kv_cel_val_t *args, size_t from, size_t nargs,
                     int64_t *ints) {
  for (size_t i = from; i < nargs; i++) {
    if (args[i].kind != KV_CEL_INT)
      return false;
    ints[i - from] = args[i].u.i;
  }
  return true;
}

kv_cel_val_t kv_cel_strings_call(kv_cel_scratch_t *s, kv_cel_fn_t fn,
                                 const kv_cel_val_t *args, size_t nargs) {
  const kv_cel_val_t *str = &args[0];
  int64_t n[2] = {0, 0};
  if (fn == KV_CEL_F_JOIN)
    return str->kind == KV_CEL_LIST &&
                   (nargs == 1 || args[1].kind == KV_CEL_STRING)
               ? join(s, str, nargs > 1 ? &args[1] : NULL)
               : kv_cel_err(KV_CEL_NO_OVERLOAD);
  if (str->kind != KV_CEL_STRING)
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  if (fn == KV_CEL_F_FORMAT)
    return args[1].kind == KV_CEL_LIST ? format(s, str, &args[1])
                                       : kv_cel_err(KV_CEL_NO_OVERLOAD);
  /* The string arguments come first, then the ints. */
  size_t strings = fn == KV_CEL_F_REPLACE ? 3
                   : fn == KV_CEL_F_INDEXOF || fn == KV_CEL_F_LASTINDEXOF ||
                           fn == KV_CEL_F_SPLIT
                       ? 2
                       : 1;
  for (size_t i = 1; i < strings && i < nargs; i++)
    if (args[i].kind != KV_CEL_STRING)
      return kv_cel_err(KV_CEL_NO_OVERLOAD);
  if (!int_args(args, strings, nargs, n))
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  bool more = nargs > strings;
  switch (fn) {
  case KV_CEL_F_CHARAT: return char_at(s, str, n[0]);
  case KV_CEL_F_INDEXOF: return index_of(s, str, &args[1], n[0]);
  case KV_CEL_F_LASTINDEXOF:
    return last_index_of(s, str, &args[1], n[0], more);
  case KV_CEL_F_LOWERASCII: return ascii_case(s, str, false);
  case KV_CEL_F_UPPERASCII: return ascii_case(s, str, true);
  case KV_CEL_F_REPLACE:
    return replace(s, str, &args[1], &args[2], more ? n[0] : -1);
  case KV_CEL_F_SPLIT: return split(s, str, &args[1], more ? n[0] : -1);
  case KV_CEL_F_SUBSTRING: return substring(s, str, n[0], n[1], nargs > 2);
  case KV_CEL_F_TRIM: return trim(str);
  case KV_CEL_F_REVERSE: return reverse(s, str);
  case KV_CEL_F_QUOTE: return quote(s, str);
  default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
}
