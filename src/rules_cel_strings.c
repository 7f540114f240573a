/*
 * kavro - CEL's strings extension, as cel-go's ext.Strings() defines it
 * and as Confluent's rule executors enable it (the JavaScript client's
 * CelExecutor builds its environment with the extension's functions):
 * charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split,
 * substring, trim, join, reverse and strings.quote.
 *
 * Indexes count code points, never bytes, as cel-go's runes do.  Results
 * live in the evaluation's scratch, so a warm evaluation allocates
 * nothing.  Errors carry cel-go's texts.
 */
#include <stdio.h>
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
