/*
 * kavro - the CEL lexer: tokens of cel-spec's grammar (doc/langdef.md,
 * "Syntax"), with string and bytes literals decoded here, escapes and all.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_text_int.h"
#include "rules_cel_impl_int.h"

kavro_err_t kv_cel_fail(kavro_error_t *error, kavro_err_t code,
                        const char *src, int pos, const char *fmt, ...) {
  char text[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  kv_error_set(error, code, "CEL: %s (column %d)", text, pos + 1);
  if (error) {
    error->line = 1;
    error->column = pos + 1;
    error->position = pos;
  }
  (void)src;
  return code;
}

static int is_ident_start(int c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* Append code point @cp as UTF-8 to @out (room for 4 bytes assured). */
static size_t put_utf8(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decode the escape at @p (after the backslash) into @out; the number of
 * source bytes read, 0 when malformed (*@why set). */
static size_t escape(const char *p, const char *end, bool bytes, char *out,
                     size_t *out_len, const char **why) {
  static const char simple_in[] = "abfnrtv\\?\"'`";
  static const char simple_out[] = "\a\b\f\n\r\t\v\\?\"'`";
  const char *hit;
  if (p >= end) {
    *why = "a backslash ends the literal";
    return 0;
  }
  if ((hit = strchr(simple_in, *p)) != NULL && *p) {
    out[0] = simple_out[hit - simple_in];
    *out_len = 1;
    return 1;
  }
  int digits = 0, base = 16;
  size_t skip = 1;
  switch (*p) {
  case 'x': case 'X': digits = 2; break;
  case 'u': digits = 4; break;
  case 'U': digits = 8; break;
  case '0': case '1': case '2': case '3':
    digits = 3, base = 8, skip = 0;
    break;
  default:
    *why = "invalid escape sequence";
    return 0;
  }
  if ((size_t)(end - p) < skip + (size_t)digits) {
    *why = "truncated escape sequence";
    return 0;
  }
  uint32_t cp = 0;
  for (int i = 0; i < digits; i++) {
    int v = kv_hex_digit(p[skip + i]);
    if (v < 0 || v >= base) {
      *why = "invalid escape sequence";
      return 0;
    }
    cp = cp * (uint32_t)base + (uint32_t)v;
  }
  if (bytes && (base == 8 || *p == 'x' || *p == 'X')) {
    out[0] = (char)cp; /* an octet */
    *out_len = 1;
  } else {
    if (bytes && *p == 'U') {
      *why = "\\U escapes are valid only in strings";
      return 0;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *why = "escape of an invalid code point";
      return 0;
    }
    *out_len = put_utf8(out, cp);
  }
  return skip + (size_t)digits;
}

/* A string or bytes literal starting at lx->at (after any prefix). */
static kavro_err_t lex_string(kv_cel_lexer_t *lx, kv_cel_token_t *tok,
                              bool raw, bool bytes) {
  const char *src = lx->src, *end = src + lx->len;
  const char *p = src + lx->at;
  char quote = *p;
  bool triple = end - p >= 3 && p[1] == quote && p[2] == quote;
  p += triple ? 3 : 1;
  /* Decoded text is never longer than its source. */
  char *out = malloc((size_t)(end - p) + 1);
  size_t n = 0;
  if (!out)
    return kv_error_set(lx->error, KAVRO_ERR_NOMEM, "out of memory");
  for (;;) {
    if (p >= end) {
      free(out);
      return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, tok->pos,
                         "unterminated string literal");
    }
    if (triple ? (end - p >= 3 && p[0] == quote && p[1] == quote &&
                  p[2] == quote)
               : *p == quote) {
      p += triple ? 3 : 1;
      break;
    }
    if (!triple && (*p == '\n' || *p == '\r')) {
      free(out);
      return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src,
                         (int)(p - src), "newline in a string literal");
    }
    if (*p == '\\' && !raw) {
      size_t got = 0;
      const char *why = NULL;
      char buf[4];
      size_t used = escape(p + 1, end, bytes, buf, &got, &why);
      if (!used) {
        free(out);
        return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src,
                           (int)(p - src), "%s", why);
      }
      memcpy(out + n, buf, got);
      n += got;
      p += 1 + used;
      continue;
    }
    out[n++] = *p++;
  }
  out[n] = '\0';
  if (!bytes && !kv_cel_utf8_valid(out, n)) {
    free(out);
    return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, tok->pos,
                       "string literal is not valid UTF-8");
  }
  tok->kind = bytes ? KV_CEL_T_BYTES : KV_CEL_T_STRING;
  tok->str = out;
  tok->str_len = n;
  lx->at = (size_t)(p - src);
  return KAVRO_OK;
}

static kavro_err_t lex_number(kv_cel_lexer_t *lx, kv_cel_token_t *tok) {
  const char *src = lx->src, *p = src + lx->at, *end = src + lx->len;
  const char *start = p;
  if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
      kv_hex_digit(p[2]) >= 0) {
    uint64_t v = 0;
    for (p += 2; p < end && kv_hex_digit(*p) >= 0; p++) {
      if (v >> 60)
        return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, tok->pos,
                           "integer literal out of range");
      v = v * 16 + (uint64_t)kv_hex_digit(*p);
    }
    tok->u = v;
    tok->kind = KV_CEL_T_INT;
  } else {
    bool is_double = false;
    while (p < end && is_digit(*p))
      p++;
    if (p + 1 < end && *p == '.' && is_digit(p[1])) {
      is_double = true;
      for (p++; p < end && is_digit(*p); p++)
        ;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      const char *q = p + 1;
      if (q < end && (*q == '+' || *q == '-'))
        q++;
      if (q < end && is_digit(*q)) {
        is_double = true;
        for (p = q; p < end && is_digit(*p); p++)
          ;
      }
    }
    char buf[128];
    size_t n = (size_t)(p - start);
    if (n >= sizeof buf)
      return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, tok->pos,
                         "numeric literal too long");
    memcpy(buf, start, n);
    buf[n] = '\0';
    errno = 0;
    if (is_double) {
      tok->d = strtod(buf, NULL);
      tok->kind = KV_CEL_T_DOUBLE;
    } else {
      tok->u = strtoull(buf, NULL, 10);
      if (errno == ERANGE)
        return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, tok->pos,
                           "integer literal out of range");
      tok->kind = KV_CEL_T_INT;
    }
  }
  if (tok->kind == KV_CEL_T_INT && p < end && (*p == 'u' || *p == 'U')) {
    tok->kind = KV_CEL_T_UINT;
    p++;
  }
  if (p < end && (is_ident_start(*p) || is_digit(*p)))
    return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, (int)(p - src),
                       "malformed numeric literal");
  tok->len = (size_t)(p - start);
  lx->at = (size_t)(p - src);
  return KAVRO_OK;
}

kavro_err_t kv_cel_lex(kv_cel_lexer_t *lx, kv_cel_token_t *tok) {
  static const char *const two[] = {"==", "!=", "<=", ">=", "&&", "||",
                                    NULL};
  const char *src = lx->src, *end = src + lx->len;
  memset(tok, 0, sizeof *tok);
  for (;;) { /* whitespace and comments */
    const char *p = src + lx->at;
    if (p < end && strchr(" \t\n\f\r", *p) && *p)
      lx->at++;
    else if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
      while (lx->at < lx->len && src[lx->at] != '\n')
        lx->at++;
    } else
      break;
  }
  const char *p = src + lx->at;
  tok->pos = (int)lx->at;
  tok->text = p;
  if (p >= end) {
    tok->kind = KV_CEL_T_EOF;
    return KAVRO_OK;
  }
  if (is_ident_start(*p)) {
    const char *q = p;
    while (q < end && (is_ident_start(*q) || is_digit(*q)))
      q++;
    size_t n = (size_t)(q - p);
    /* String prefixes: r, b and both, either case, either order. */
    if (n <= 2 && q < end && (*q == '"' || *q == '\'')) {
      bool raw = false, bytes = false, ok = true;
      for (size_t i = 0; i < n; i++) {
        char c = (char)(p[i] | 0x20);
        if (c == 'r' && !raw)
          raw = true;
        else if (c == 'b' && !bytes)
          bytes = true;
        else
          ok = false;
      }
      if (ok) {
        lx->at += n;
        return lex_string(lx, tok, raw, bytes);
      }
    }
    tok->kind = KV_CEL_T_IDENT;
    tok->len = n;
    lx->at += n;
    return KAVRO_OK;
  }
  if (is_digit(*p) || (*p == '.' && end - p > 1 && is_digit(p[1])))
    return lex_number(lx, tok);
  if (*p == '"' || *p == '\'')
    return lex_string(lx, tok, false, false);
  if (*p == '`') /* a later grammar's quoted field names (a.`b-c`) */
    return kv_cel_fail(lx->error, KAVRO_ERR_UNSUPPORTED, src, tok->pos,
                       "backtick-quoted field names are not supported");
  tok->kind = KV_CEL_T_PUNCT;
  for (int i = 0; two[i]; i++)
    if (end - p >= 2 && memcmp(p, two[i], 2) == 0) {
      tok->len = 2;
      lx->at += 2;
      return KAVRO_OK;
    }
  if (strchr("+-*/%!<>?:.,()[]{}", *p) && *p) {
    tok->len = 1;
    lx->at++;
    return KAVRO_OK;
  }
  return kv_cel_fail(lx->error, KAVRO_ERR_INVALID_ARG, src, tok->pos,
                     "unexpected character (byte 0x%02x)",
                     (unsigned)(unsigned char)*p);
}
