/*
 * kavro - small text helpers shared by parts that read URLs, ids and hex.
 */
#ifndef KAVRO_TEXT_INT_H
#define KAVRO_TEXT_INT_H

/* The value of hex digit @c (either case), or -1. */
static inline int kv_hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

#include <stdbool.h>
#include <stddef.h>

/* A schema GUID's 16 bytes and its text form "xxxxxxxx-xxxx-xxxx-xxxx-
 * xxxxxxxxxxxx" (36 characters; the bytes in text order), shared by the
 * wire, the registry client and the mock registry, which all speak it. */
#define KV_GUID_SIZE 16
#define KV_GUID_TEXT_SIZE 37 /* NUL included */

/* Write @guid in lowercase text form into @text. */
void kv_guid_format(const unsigned char guid[KV_GUID_SIZE],
                    char text[KV_GUID_TEXT_SIZE]);

/* Read the text form (either case, nothing before or after) into @guid;
 * false (and @guid in an unspecified state) when @text is not one. */
bool kv_guid_parse(const char *text, unsigned char guid[KV_GUID_SIZE]);

/* Room kv_format_real() needs, NUL included. */
#define KV_REAL_TEXT_SIZE 64

/* Write finite @d into @out (KV_REAL_TEXT_SIZE bytes) as the shortest text
 * that reads back to it (to its float value when @as_float): the fewest
 * significant digits that round-trip, without an exponent from 1e-4 up to
 * 1e16 as Python's repr does, always with a '.' or an exponent so that it
 * reads back as a real, and with '.' whatever the locale.  Returns the
 * length.  DESIGN.md's rule for every number kavro prints. */
size_t kv_format_real(char *out, double d, bool as_float);

/* Write finite @d into @out (KV_REAL_TEXT_SIZE bytes) as Java's
 * Double.toString() writes it (and so Jackson, and so the Schema
 * Registry's schema text): the fewest significant digits that read back,
 * plain from 1e-3 up to 1e7 with at least one digit after the point
 * ("100.0", "0.001"), else as d.dddE<exponent> ("1.0E7", "1.5E-4").
 * Returns the length. */
size_t kv_format_java_real(char *out, double d);

/* Where the user info of a URL ends: the last '@' in [@authority, @end),
 * or NULL when there is none.  @authority is what follows "://".
 *
 * The last '@', not the first '/', '?' or '#' as RFC 3986 would have it:
 * passwords (API secrets in particular) often hold those characters
 * unencoded, and any reading that stops earlier leaves part of the
 * password in the host or the path, where it is sent to the wrong host
 * and printed.  The price is that an '@' in a path must be written %40. */
const char *kv_url_user_info_end(const char *authority, const char *end);

/* Standard base64 (with padding), through OpenSSL: the bytes
 * kv_base64_encode() writes for @n bytes, NUL not counted. */
#define kv_base64_size(n) ((((n) + 2) / 3) * 4)

/* Write the base64 of @size bytes of @in into @out (kv_base64_size(@size)
 * + 1 bytes, NUL-terminated); its length. */
size_t kv_base64_encode(const void *in, size_t size, char *out);

/* The same, in a new string (free() it); NULL when out of memory. */
char *kv_base64(const void *in, size_t size);

/* Decode standard base64 @in (@size characters, padded) into @out (room
 * for @size / 4 * 3 bytes), its length in *@outsizep; false for anything
 * else (a stray character, a length that is no multiple of 4, padding in
 * the middle). */
bool kv_base64_decode(const char *in, size_t size, unsigned char *out,
                      size_t *outsizep);

/* What kv_text_printable() does (the public KAVRO_TEXT_* flags). */
#define KV_TEXT_REDACT_URLS 0x1u
#define KV_TEXT_ESCAPE_CONTROLS 0x2u
#define KV_TEXT_KEEP_NEWLINES 0x4u
/* Internal: @text is the start of a longer text that was cut, so a URL
 * that runs into its end may have lost its '@': redact all of it. */
#define KV_TEXT_CUT 0x100u

/* Write @text into @out (@size bytes, NUL included; 0 with a NULL @out to
 * measure) as @flags say: with KV_TEXT_REDACT_URLS the user info of every URL ("scheme://"
 * up to the last '@' before a blank or the end) replaced by "[redacted]";
 * with KV_TEXT_ESCAPE_CONTROLS control characters (C0, DEL and the UTF-8
 * C1 range) written as "\n", "\r", "\t" or "\xHH" ("\u0080"..
 * "\u009f"), except '\n' with KV_TEXT_KEEP_NEWLINES.  What does not fit
 * is cut, never in the middle of an escape or a mask.  Returns the length
 * the whole result needs, as snprintf() does. */
size_t kv_text_printable(char *out, size_t size, const char *text,
                         unsigned flags);

#endif /* KAVRO_TEXT_INT_H */
