/*
 * kavro - growable byte string (see strbuf_int.h).
 */
#include <locale.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common_strbuf_int.h"
#include "common_text_int.h"

static bool grow(kv_strbuf_t *sb, size_t extra) {
  if (sb->failed)
    return false;
  if (extra > SIZE_MAX / 2 - sb->length) {
    sb->failed = true;
    return false;
  }
  size_t need = sb->length + extra + 1;
  if (need <= sb->capacity)
    return true;
  size_t cap = sb->capacity ? sb->capacity : 64;
  while (cap < need)
    cap *= 2;
  char *p = realloc(sb->data, cap);
  if (!p) {
    sb->failed = true;
    return false;
  }
  sb->data = p;
  sb->capacity = cap;
  return true;
}

void kv_strbuf_append(kv_strbuf_t *sb, const char *data, size_t length) {
  if (!grow(sb, length))
    return;
  if (length)
    memcpy(sb->data + sb->length, data, length);
  sb->length += length;
  sb->data[sb->length] = '\0';
}

void kv_strbuf_puts(kv_strbuf_t *sb, const char *s) {
  kv_strbuf_append(sb, s, strlen(s));
}

void kv_strbuf_putc(kv_strbuf_t *sb, char c) { kv_strbuf_append(sb, &c, 1); }

void kv_strbuf_printf(kv_strbuf_t *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !grow(sb, (size_t)n)) {
    sb->failed = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(sb->data + sb->length, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->length += (size_t)n;
}

void kv_strbuf_put_json_string(kv_strbuf_t *sb, const char *s) {
  kv_strbuf_putc(sb, '"');
  const char *run = s;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    kv_strbuf_append(sb, run, (size_t)(p - run));
    switch (c) {
    case '"': kv_strbuf_puts(sb, "\\\""); break;
    case '\\': kv_strbuf_puts(sb, "\\\\"); break;
    case '\n': kv_strbuf_puts(sb, "\\n"); break;
    case '\r': kv_strbuf_puts(sb, "\\r"); break;
    case '\t': kv_strbuf_puts(sb, "\\t"); break;
    case '\b': kv_strbuf_puts(sb, "\\b"); break;
    case '\f': kv_strbuf_puts(sb, "\\f"); break;
    default: kv_strbuf_printf(sb, "\\u%04x", c); break;
    }
    run = p + 1;
  }
  kv_strbuf_puts(sb, run);
  kv_strbuf_putc(sb, '"');
}

void kv_strbuf_put_percent_decoded(kv_strbuf_t *sb, const char *text,
                                   size_t length, bool plus) {
  for (size_t i = 0; i < length; i++) {
    if (text[i] == '%' && i + 2 < length) {
      int hi = kv_hex_digit(text[i + 1]), lo = kv_hex_digit(text[i + 2]);
      if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
        kv_strbuf_putc(sb, (char)(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    kv_strbuf_putc(sb, plus && text[i] == '+' ? ' ' : text[i]);
  }
}

static bool reads_back(const char *text, double d, bool as_float) {
  return as_float ? strtof(text, NULL) == (float)d : strtod(text, NULL) == d;
}

/* @d in printf's "%.*e" form into @out with the fewest significant digits
 * that read back (to its float value when @as_float); their count. */
static int shortest_exponential(char *out, double d, bool as_float) {
  int digits = 1;
  for (; digits < 17; digits++) {
    snprintf(out, KV_REAL_TEXT_SIZE, "%.*e", digits - 1, d);
    if (reads_back(out, d, as_float))
      return digits;
  }
  snprintf(out, KV_REAL_TEXT_SIZE, "%.*e", digits - 1, d);
  return digits;
}

size_t kv_format_real(char *out, double d, bool as_float) {
  int digits = shortest_exponential(out, d, as_float);
  const char *e = strchr(out, 'e');
  int exponent = e ? atoi(e + 1) : 0;
  if (exponent >= -4 && exponent < 16) {
    int decimals = digits - 1 - exponent;
    snprintf(out, KV_REAL_TEXT_SIZE, "%.*f", decimals > 0 ? decimals : 0, d);
  }
  /* printf follows the locale; JSON wants '.'. */
  const char *point = localeconv()->decimal_point;
  if (point && point[0] && point[0] != '.' && !point[1]) {
    char *p = strchr(out, point[0]);
    if (p)
      *p = '.';
  }
  size_t n = strlen(out);
  if (!strpbrk(out, ".e") && n + 2 < KV_REAL_TEXT_SIZE) {
    memcpy(out + n, ".0", 3);
    n += 2;
  }
  return n;
}

size_t kv_format_java_real(char *out, double d) {
  char form[KV_REAL_TEXT_SIZE];
  /* Where one digit would do, Java takes the two-digit decimal closest to
   * @d (4.9E-324, not 5.0E-324): it differs only where the doubles are
   * sparse, below the normal range. */
  if (shortest_exponential(form, d, false) == 1) {
    char two[KV_REAL_TEXT_SIZE];
    snprintf(two, sizeof two, "%.1e", d);
    if (reads_back(two, d, false))
      memcpy(form, two, sizeof two);
  }
  /* "-d.ddde+x" (the point as the locale has it): sign, digits, exponent. */
  const char *p = form;
  bool negative = *p == '-';
  char digits[KV_REAL_TEXT_SIZE];
  size_t count = 0;
  for (p += negative; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9')
      digits[count++] = *p;
  int exponent = *p ? atoi(p + 1) : 0;
  while (count > 1 && digits[count - 1] == '0')
    count--;
  size_t n = 0;
  if (negative)
    out[n++] = '-';
  if (exponent >= 0 && exponent < 7) {
    /* Plain: the integer digits, the point, at least one digit after. */
    for (int i = 0; i <= exponent; i++)
      out[n++] = i < (int)count ? digits[i] : '0';
    out[n++] = '.';
    if ((size_t)exponent + 1 >= count)
      out[n++] = '0';
    for (size_t i = (size_t)exponent + 1; i < count; i++)
      out[n++] = digits[i];
  } else if (exponent < 0 && exponent >= -3) {
    /* Plain below 1: "0.", the zeros after the point, the digits. */
    out[n++] = '0';
    out[n++] = '.';
    for (int i = -1; i > exponent; i--)
      out[n++] = '0';
    for (size_t i = 0; i < count; i++)
      out[n++] = digits[i];
  } else {
    /* Computerized scientific notation: d.ddd, 'E', the exponent. */
    out[n++] = digits[0];
    out[n++] = '.';
    for (size_t i = 1; i < count; i++)
      out[n++] = digits[i];
    if (count == 1)
      out[n++] = '0';
    n += (size_t)snprintf(out + n, KV_REAL_TEXT_SIZE - n, "E%d", exponent);
  }
  out[n] = '\0';
  return n;
}

/* ---- GUIDs (text_int.h) ------------------------------------------------ */

/* Offsets inside a GUID's text form where a '-' stands. */
static bool guid_dash_at(size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

void kv_guid_format(const unsigned char guid[KV_GUID_SIZE],
                    char text[KV_GUID_TEXT_SIZE]) {
  static const char hex[] = "0123456789abcdef";
  size_t out = 0;
  for (size_t i = 0; i < KV_GUID_SIZE; i++) {
    if (guid_dash_at(out))
      text[out++] = '-';
    text[out++] = hex[guid[i] >> 4];
    text[out++] = hex[guid[i] & 0x0f];
  }
  text[out] = '\0';
}

bool kv_guid_parse(const char *text, unsigned char guid[KV_GUID_SIZE]) {
  if (strlen(text) != KV_GUID_TEXT_SIZE - 1)
    return false;
  size_t byte = 0;
  for (size_t i = 0; i < KV_GUID_TEXT_SIZE - 1;) {
    if (guid_dash_at(i)) {
      if (text[i++] != '-')
        return false;
      continue;
    }
    int hi = kv_hex_digit(text[i]), lo = kv_hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    guid[byte++] = (unsigned char)(hi << 4 | lo);
    i += 2;
  }
  return true;
}

/* ---- printable text (text_int.h) --------------------------------------- */

const char *kv_url_user_info_end(const char *authority, const char *end) {
  const char *at = NULL;
  for (const char *p = authority; p < end; p++)
    if (*p == '@')
      at = p;
  return at;
}

/* A fixed buffer that takes whole pieces only and counts what all of them
 * would need. */
typedef struct kv_piece_out_s {
  char *data;
  size_t size, written, needed;
  bool full; /* a piece did not fit: nothing more is written */
} kv_piece_out_t;

static void put_piece(kv_piece_out_t *o, const char *s, size_t n) {
  if (!o->full && o->written + n < o->size) {
    memcpy(o->data + o->written, s, n);
    o->written += n;
  } else {
    o->full = true;
  }
  o->needed += n;
}

/* Blanks end a URL in running text: a URL cannot hold one unencoded. */
static bool is_blank(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Put the URL whose "://" is at @p, its user info masked; returns where
 * the text goes on (at the '@', so that the host follows the mask). */
static const char *put_url_start(kv_piece_out_t *o, const char *p,
                                 unsigned flags) {
  const char *authority = p + 3;
  const char *end = authority;
  while (*end && !is_blank((unsigned char)*end))
    end++;
  const char *at = kv_url_user_info_end(authority, end);
  put_piece(o, "://", 3);
  if (!at && (flags & KV_TEXT_CUT) && !*end && end > authority)
    at = end; /* the '@' may have been cut off: mask all of it */
  if (!at)
    return authority;
  put_piece(o, "[redacted]", 10);
  return at;
}

/* Put the character at @p, escaped when it is a control character and
 * @flags say so; returns the number of bytes it took. */
static size_t put_char(kv_piece_out_t *o, const char *p, unsigned flags) {
  unsigned char c = (unsigned char)p[0], next = (unsigned char)p[1];
  char escape[8];
  bool escaping = flags & KV_TEXT_ESCAPE_CONTROLS;
  if (escaping && c == 0xC2 && next >= 0x80 && next <= 0x9F) {
    /* A C1 control in UTF-8: some terminals obey U+009B as CSI. */
    snprintf(escape, sizeof(escape), "\\u%04x", next);
    put_piece(o, escape, 6);
    return 2;
  }
  bool control = c < 0x20 || c == 0x7F;
  if (!escaping || !control ||
      (c == '\n' && (flags & KV_TEXT_KEEP_NEWLINES))) {
    put_piece(o, p, 1);
    return 1;
  }
  if (c == '\n')
    put_piece(o, "\\n", 2);
  else if (c == '\r')
    put_piece(o, "\\r", 2);
  else if (c == '\t')
    put_piece(o, "\\t", 2);
  else {
    snprintf(escape, sizeof(escape), "\\x%02x", c);
    put_piece(o, escape, 4);
  }
  return 1;
}

size_t kv_text_printable(char *out, size_t size, const char *text,
                         unsigned flags) {
  kv_piece_out_t o = {out, size, 0, 0, false};
  for (const char *p = text; *p;) {
    if ((flags & KV_TEXT_REDACT_URLS) && strncmp(p, "://", 3) == 0)
      p = put_url_start(&o, p, flags);
    else
      p += put_char(&o, p, flags);
  }
  if (size)
    out[o.written] = '\0';
  return o.needed;
}

char *kv_strbuf_steal(kv_strbuf_t *sb) {
  char *p = sb->failed ? NULL : sb->data;
  if (sb->failed)
    free(sb->data);
  else if (!p)
    p = calloc(1, 1);
  sb->data = NULL;
  sb->length = sb->capacity = 0;
  sb->failed = false;
  return p;
}

void kv_strbuf_free(kv_strbuf_t *sb) {
  free(sb->data);
  sb->data = NULL;
  sb->length = sb->capacity = 0;
  sb->failed = false;
}

/* ---- base64 ---------------------------------------------------------------- */

size_t kv_base64_encode(const void *in, size_t size, char *out) {
  return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)size);
}

char *kv_base64(const void *in, size_t size) {
  char *out = malloc(kv_base64_size(size) + 1);
  if (out)
    kv_base64_encode(in, size, out);
  return out;
}

static bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool kv_base64_decode(const char *in, size_t size, unsigned char *out,
                      size_t *outsizep) {
  if (size % 4 != 0 || size > INT32_MAX)
    return false;
  size_t pad = 0;
  if (size > 0 && in[size - 1] == '=')
    pad = size > 1 && in[size - 2] == '=' ? 2 : 1;
  /* EVP_DecodeBlock() skips blanks and takes '=' anywhere: check first. */
  for (size_t i = 0; i < size - pad; i++)
    if (!base64_char(in[i]))
      return false;
  int n = size ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)size)
               : 0;
  if (n < 0)
    return false;
  *outsizep = (size_t)n - pad;
  return true;
}
