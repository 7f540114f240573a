/*
 * kavro - a growable byte string for writers (canonical form, JSON
 * output, messages).  Out-of-memory is sticky: after a failed growth every
 * append is a no-op and kv_strbuf_failed() says so, so writers check once
 * at the end instead of after every append.
 */
#ifndef KAVRO_STRBUF_INT_H
#define KAVRO_STRBUF_INT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kv_strbuf_s {
  char *data;      /* always NUL-terminated when non-NULL */
  size_t length;
  size_t capacity;
  bool failed;     /* an allocation failed: contents are incomplete */
} kv_strbuf_t;

#define KV_STRBUF_INIT {NULL, 0, 0, false}

void kv_strbuf_append(kv_strbuf_t *sb, const char *data, size_t length);
void kv_strbuf_puts(kv_strbuf_t *sb, const char *s);
void kv_strbuf_putc(kv_strbuf_t *sb, char c);
void kv_strbuf_printf(kv_strbuf_t *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append @s as a JSON string literal, quotes included, escaping as JSON
 * requires (control characters as \uXXXX, '"' and '\\'). */
void kv_strbuf_put_json_string(kv_strbuf_t *sb, const char *s);

static inline bool kv_strbuf_failed(const kv_strbuf_t *sb) { return sb->failed; }

/* Append @length bytes of @text percent-decoded (RFC 3986), and '+' as a
 * space when @plus (query strings).  A '%' not followed by two hex digits,
 * or one that would make a NUL, is kept as it is: the result is a C
 * string. */
void kv_strbuf_put_percent_decoded(kv_strbuf_t *sb, const char *text,
                                   size_t length, bool plus);

/* Hand the buffer to the caller (free() it) and reset @sb.  NULL when the
 * buffer failed (it is freed then). */
char *kv_strbuf_steal(kv_strbuf_t *sb);

void kv_strbuf_free(kv_strbuf_t *sb);

#endif /* KAVRO_STRBUF_INT_H */
